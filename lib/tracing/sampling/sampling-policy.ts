import { isSpanContextValid, isValidTraceId, SpanContext, TraceFlags } from '@opentelemetry/api';
import { traceIdAccumulation } from './trace-ids';

/** `OTEL_TRACES_SAMPLER` values the policy can express, and whether each follows the parent. */
const ENV_SAMPLERS: Record<string, { parentBased: boolean; ratio?: number }> = {
  always_on: { parentBased: false, ratio: 1 },
  always_off: { parentBased: false, ratio: 0 },
  traceidratio: { parentBased: false },
  parentbased_always_on: { parentBased: true, ratio: 1 },
  parentbased_always_off: { parentBased: true, ratio: 0 },
  parentbased_traceidratio: { parentBased: true },
};

/**
 * The sampling rule of the module, in one place for the request fast path and for the SDK's sampler
 * (`ObservabilitySampler`): OpenTelemetry's `TraceIdRatioBased` (a trace is sampled when the XOR of the
 * four 32-bit words of its id is below `floor(ratio × 0xffffffff)`), under `ParentBased` unless the
 * chosen `OTEL_TRACES_SAMPLER` says otherwise. The same trace ids give the same decisions as
 * OpenTelemetry's own samplers.
 */
export class SamplingPolicy {
  /** A trace is sampled when its accumulation is below this bound (2^32 at ratio 1: always). */
  readonly upperBound: number;

  constructor(
    /** Ratio of new traces sampled, in [0, 1]. */
    readonly ratio: number,
    /** Whether a valid parent's decision is followed (`ParentBased`). */
    readonly parentBased: boolean,
  ) {
    // TraceIdRatioBasedSampler's own bound, to the bit.
    this.upperBound = ratio >= 1 ? 4294967296 : Math.floor(ratio * 4294967295);
  }

  /**
   * The policy for a sample ratio and the `OTEL_TRACES_SAMPLER*` variables, or `null` when the variable
   * names a sampler this policy cannot express (then the SDK builds that sampler from the environment).
   * An explicit `sampleRatio` applies when `OTEL_TRACES_SAMPLER` is not set.
   */
  static fromEnvironment(sampleRatio: number | undefined, env: NodeJS.ProcessEnv = process.env): SamplingPolicy | null {
    const name = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
    if (!name) return new SamplingPolicy(clampRatio(sampleRatio ?? ratioFromEnv(env)), true);
    const known = ENV_SAMPLERS[name];
    if (known === undefined) return null;
    return new SamplingPolicy(known.ratio ?? clampRatio(ratioFromEnv(env)), known.parentBased);
  }

  /** The decision for a new trace whose id has this accumulation. */
  samplesAccumulation(accumulation: number): boolean {
    return accumulation < this.upperBound;
  }

  /** `TraceIdRatioBased`'s decision for a trace id. */
  samplesTraceId(traceId: string): boolean {
    return isValidTraceId(traceId) && traceIdAccumulation(traceId) < this.upperBound;
  }

  /**
   * The decision for a span under `parent` (undefined or invalid: a new trace with `traceId`). With
   * `trustSampledFlag` false, a remote parent that says "sampled" gets the ratio applied to its trace id
   * instead; a remote parent that says "not sampled" is followed either way.
   */
  samples(parent: SpanContext | undefined, traceId: string, trustSampledFlag = true): boolean {
    if (!this.parentBased || parent === undefined || !isSpanContextValid(parent)) return this.samplesTraceId(traceId);
    if ((parent.traceFlags & TraceFlags.SAMPLED) === 0) return false;
    return trustSampledFlag || !parent.isRemote ? true : this.samplesTraceId(parent.traceId);
  }

  toString(): string {
    const ratio = `TraceIdRatioBased{${this.ratio}}`;
    return this.parentBased ? `ParentBased{root=${ratio}}` : ratio;
  }
}

function ratioFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = env.OTEL_TRACES_SAMPLER_ARG;
  const value = raw === undefined || raw.trim() === '' ? NaN : Number(raw);
  // As the SDK reads it: a value that is not a ratio in [0, 1] means 1.
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : 1;
}

/** Ratios outside [0, 1] are clamped; a non-number counts as 1 (sample everything), as before. */
export function clampRatio(ratio: number): number {
  return Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 1;
}
