/**
 * Random W3C ids, made the way OpenTelemetry's `RandomIdGenerator` makes them (`Math.random()`, 32 bits
 * at a time), with one addition: a trace id can be made for a given sampling accumulation, the value
 * `TraceIdRatioBasedSampler` computes from a trace id (the XOR of its four 32-bit words). Drawing that
 * value first lets the sampling decision be taken before any id exists.
 */

/** Char codes of the lowercase hex digits, by value. */
const DIGITS: readonly number[] = Array.from({ length: 16 }, (_, i) => i.toString(16).charCodeAt(0));

/** A uniformly random unsigned 32-bit integer. */
export function randomUint32(): number {
  return (Math.random() * 4294967296) >>> 0;
}

/**
 * 16 lowercase hex digits of two 32-bit words, as one flat string. Why not a concatenation of 8-digit
 * parts: that is a tree of ConsStrings (more bytes, and every reader of its characters, the OTLP
 * encoder and the exemplar's ids, first flattens it into yet another copy).
 */
export function hex64(a: number, b: number): string {
  const d = DIGITS;
  return String.fromCharCode(
    d[a >>> 28], d[(a >>> 24) & 15], d[(a >>> 20) & 15], d[(a >>> 16) & 15], d[(a >>> 12) & 15], d[(a >>> 8) & 15], d[(a >>> 4) & 15], d[a & 15],
    d[b >>> 28], d[(b >>> 24) & 15], d[(b >>> 20) & 15], d[(b >>> 16) & 15], d[(b >>> 12) & 15], d[(b >>> 8) & 15], d[(b >>> 4) & 15], d[b & 15],
  );
}

/** 32 lowercase hex digits of four 32-bit words, as one flat string (see {@link hex64}). */
export function hex128(a: number, b: number, c: number, e: number): string {
  const d = DIGITS;
  return String.fromCharCode(
    d[a >>> 28], d[(a >>> 24) & 15], d[(a >>> 20) & 15], d[(a >>> 16) & 15], d[(a >>> 12) & 15], d[(a >>> 8) & 15], d[(a >>> 4) & 15], d[a & 15],
    d[b >>> 28], d[(b >>> 24) & 15], d[(b >>> 20) & 15], d[(b >>> 16) & 15], d[(b >>> 12) & 15], d[(b >>> 8) & 15], d[(b >>> 4) & 15], d[b & 15],
    d[c >>> 28], d[(c >>> 24) & 15], d[(c >>> 20) & 15], d[(c >>> 16) & 15], d[(c >>> 12) & 15], d[(c >>> 8) & 15], d[(c >>> 4) & 15], d[c & 15],
    d[e >>> 28], d[(e >>> 24) & 15], d[(e >>> 20) & 15], d[(e >>> 16) & 15], d[(e >>> 12) & 15], d[(e >>> 8) & 15], d[(e >>> 4) & 15], d[e & 15],
  );
}

/** A random, valid (non-zero) span id: 16 hex digits. */
export function randomSpanId(): string {
  const high = randomUint32();
  const low = randomUint32();
  return hex64(high, high === 0 && low === 0 ? 1 : low);
}

/**
 * A random, valid trace id whose ratio-sampler accumulation is `accumulation`: three random words and
 * a fourth that makes their XOR come out right. Uniform over all trace ids with that accumulation.
 */
export function traceIdWithAccumulation(accumulation: number): string {
  let a = randomUint32();
  const b = randomUint32();
  const c = randomUint32();
  // All zeros is the invalid trace id; keep the XOR by flipping the same bit in two words.
  if (accumulation === 0 && a === 0 && b === 0 && c === 0) a = 1;
  const d = (accumulation ^ a ^ b ^ c) >>> 0;
  return hex128(a, b, c, d);
}

/** `TraceIdRatioBasedSampler`'s accumulation of a trace id: the XOR of its four 32-bit words. */
export function traceIdAccumulation(traceId: string): number {
  let accumulation = 0;
  for (let i = 0; i < 32; i += 8) accumulation = (accumulation ^ parseInt(traceId.slice(i, i + 8), 16)) >>> 0;
  return accumulation;
}
