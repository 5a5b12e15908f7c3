/**
 * Times as two small integers (epoch seconds, nanoseconds), never `HrTime` arrays: what a span keeps
 * of its start, with the SDK's reading of a `TimeInput` (a number up to `performance.now()` is a
 * performance timestamp, a larger one epoch milliseconds, a `Date`, an `HrTime`).
 */
export class SpanClock {
  /** `performance.timeOrigin` as epoch seconds and nanoseconds, taken once. */
  private readonly originS: number;
  private readonly originNs: number;
  /** The last time read: seconds and nanoseconds (no object per read). */
  s = 0;
  ns = 0;

  constructor() {
    const origin = performance.timeOrigin;
    this.originS = Math.trunc(origin / 1e3);
    this.originNs = Math.round((origin % 1e3) * 1e6);
  }

  /** Reads `input` (or now) into `s` and `ns`; returns false when the input is not a time. */
  read(input: unknown): boolean {
    const out = this;
    if (input === undefined) return this.perf(performance.now(), out);
    if (typeof input === 'number') {
      if (input <= performance.now()) return this.perf(input, out);
      return millis(input, out);
    }
    if (input instanceof Date) return millis(input.getTime(), out);
    if (Array.isArray(input) && input.length === 2 && typeof input[0] === 'number' && typeof input[1] === 'number') {
      out.s = input[0];
      out.ns = input[1];
      return true;
    }
    return false;
  }

  /** Reads epoch milliseconds into `s` and `ns`. */
  epochMillis(ms: number): void {
    millis(ms, this);
  }

  private perf(ms: number, out: SpanClock): boolean {
    const s = Math.trunc(ms / 1e3);
    let ns = this.originNs + Math.round((ms % 1e3) * 1e6);
    let seconds = this.originS + s;
    if (ns >= 1e9) {
      ns -= 1e9;
      seconds++;
    }
    out.s = seconds;
    out.ns = ns;
    return true;
  }
}

function millis(ms: number, out: SpanClock): boolean {
  out.s = Math.trunc(ms / 1e3);
  out.ns = Math.round((ms % 1e3) * 1e6);
  return true;
}
