'use strict';

/** Median of a list of numbers. */
function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median absolute deviation, as a rough noise figure next to each median. */
function mad(values) {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/** Rotates the order of `items` by `round`, so that no variant always runs first or last. */
function rotate(items, round) {
  const k = round % items.length;
  return [...items.slice(k), ...items.slice(0, k)];
}

/** The order of the variants in round `round`: rotated by the round, and reversed every other round. */
function roundOrder(items, round) {
  const order = rotate(items, round);
  return round % 2 ? order.reverse() : order;
}

/**
 * Median of the per-round differences `samples[i] - base[i]`: the two ran in the same round, close in time,
 * so a slow spell of the machine moves both.
 */
function medianDifference(samples, base) {
  return median(samples.map((s, i) => s - base[i]));
}

/** Median of the per-round ratios `samples[i] / base[i]` (see medianDifference). */
function medianRatio(samples, base) {
  return median(samples.map((s, i) => s / base[i]));
}

module.exports = { median, mad, rotate, roundOrder, medianDifference, medianRatio };
