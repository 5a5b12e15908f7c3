/**
 * Sums of floating-point numbers that do not depend on the order or the grouping of the additions
 * (Shewchuk's algorithm, as Python's `math.fsum`): the result is the exact sum rounded once. A cluster
 * sum adds the same workers' values in another order at every scrape (peers answer in any order, a
 * worker that ends moves from the live ones to the dead ones, dead ones are folded into one file), and
 * plain `+` then gives results one ulp apart: a counter that goes down, read by Prometheus as a reset.
 * Rounding is monotone, so an exact sum of values that do not decrease never decreases either.
 *
 * An accumulator is a plain number while every value added is an integer and the sum stays below 2^53 in magnitude
 * (counts and bucket counts: exact with `+`), else the array of non-overlapping partials.
 */
export type ExactAccumulator = number | number[];

const MAX_EXACT_INTEGER = 2 ** 53;

/** `acc + x`, exactly (`acc` undefined: the first value). Arrays are updated in place. */
export function addExact(acc: ExactAccumulator | undefined, value: number): ExactAccumulator {
  // A NaN gauge travels through JSON as null: it stays NaN.
  const x = typeof value === 'number' ? value : NaN;
  if (acc === undefined) return Number.isInteger(x) || !Number.isFinite(x) ? x : [x];
  if (typeof acc === 'number') {
    // Infinity and NaN absorb everything else, in any order.
    if (!Number.isFinite(acc) || !Number.isFinite(x)) return acc + x;
    if (Number.isInteger(x)) {
      const sum = acc + x;
      if (Math.abs(sum) < MAX_EXACT_INTEGER) return sum;
    }
    acc = [acc];
  }
  if (!Number.isFinite(x)) return roundExact(acc) + x;
  addPartial(acc, x);
  return acc;
}

/** The partials of an accumulator (to carry it exactly through a file), and its rounded value. */
export function partialsOf(acc: ExactAccumulator): number[] {
  return typeof acc === 'number' ? [acc] : acc;
}

/** The exact sum, rounded once to the nearest double (ties to even). */
export function roundExact(acc: ExactAccumulator): number {
  if (typeof acc === 'number') return acc;
  const p = acc;
  let n = p.length;
  if (n === 0) return 0;
  let hi = p[--n];
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = p[--n];
    hi = x + y;
    const yr = hi - x;
    lo = y - yr;
    if (lo !== 0) break;
  }
  // Half-way cases: the partials below decide the rounding direction.
  if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}

function addPartial(p: number[], value: number): void {
  let x = value;
  let i = 0;
  for (let j = 0; j < p.length; j++) {
    let y = p[j];
    if (Math.abs(x) < Math.abs(y)) {
      const t = x;
      x = y;
      y = t;
    }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) p[i++] = lo;
    x = hi;
  }
  p.length = i;
  if (x !== 0) p.push(x);
}
