import { Context, createContextKey, Sampler, SamplingDecision, SamplingResult, trace } from '@opentelemetry/api';
import type { PresetTraceIdGenerator } from './preset-trace-id.generator';
import { SamplingPolicy } from './sampling-policy';

const SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const NOT_SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/**
 * Marks a context whose remote parent came from a caller whose sampled flag is not trusted
 * (`tracing.trustIncomingSampling: false`): the sampler applies the ratio to it.
 */
export const UNTRUSTED_SAMPLED_FLAG = createContextKey('nestjs-observability: untrusted incoming sampled flag');

/**
 * The SDK side of `SamplingPolicy`: an OpenTelemetry `Sampler` that decides exactly what
 * `ParentBased(TraceIdRatioBased)` decides (or the policy's `OTEL_TRACES_SAMPLER` variant), and applies
 * the ratio to a remote sampled parent when the module marked the request's context as untrusted.
 * `startObservabilitySdk()` installs it; it can be given to an SDK of your own too.
 *
 * @example
 * new NodeSDK({ sampler: new ObservabilitySampler(new SamplingPolicy(0.1, true)) })
 */
export class ObservabilitySampler implements Sampler {
  constructor(
    readonly policy: SamplingPolicy,
    /** The fast path's id generator: a new trace it already decided on is not decided twice. */
    private readonly decided?: PresetTraceIdGenerator,
  ) {}

  shouldSample(context: Context, traceId: string): SamplingResult {
    // The fast path drew this root's id for a "sampled" decision of this same policy (the id's
    // accumulation is below the bound by construction): re-deriving it would only cost time.
    if (this.decided?.takeDecided(traceId) === true) return SAMPLED;
    const parent = trace.getSpanContext(context);
    const trusted = context.getValue(UNTRUSTED_SAMPLED_FLAG) !== true;
    return this.policy.samples(parent, traceId, trusted) ? SAMPLED : NOT_SAMPLED;
  }

  toString(): string {
    return this.policy.toString();
  }
}
