/**
 * Random W3C ids, made the way OpenTelemetry's `RandomIdGenerator` makes them (`Math.random()`, 32 bits
 * at a time), with one addition: a trace id can be made for a given sampling accumulation, the value
 * `TraceIdRatioBasedSampler` computes from a trace id (the XOR of its four 32-bit words). Drawing that
 * value first lets the sampling decision be taken before any id exists.
 */

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A uniformly random unsigned 32-bit integer. */
export function randomUint32(): number {
  return (Math.random() * 4294967296) >>> 0;
}

/** 8 lowercase hex digits of an unsigned 32-bit integer. */
export function hex32(n: number): string {
  return HEX[n >>> 24] + HEX[(n >>> 16) & 255] + HEX[(n >>> 8) & 255] + HEX[n & 255];
}

/** A random, valid (non-zero) span id: 16 hex digits. */
export function randomSpanId(): string {
  const high = randomUint32();
  const low = randomUint32();
  return hex32(high) + hex32(high === 0 && low === 0 ? 1 : low);
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
  return hex32(a) + hex32(b) + hex32(c) + hex32(d);
}

/** `TraceIdRatioBasedSampler`'s accumulation of a trace id: the XOR of its four 32-bit words. */
export function traceIdAccumulation(traceId: string): number {
  let accumulation = 0;
  for (let i = 0; i < 32; i += 8) accumulation = (accumulation ^ parseInt(traceId.slice(i, i + 8), 16)) >>> 0;
  return accumulation;
}
