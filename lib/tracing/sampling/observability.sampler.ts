import { Context, createContextKey, Sampler, SamplingDecision, SamplingResult, trace } from '@opentelemetry/api';
import { SamplingPolicy } from './sampling-policy';

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
  constructor(readonly policy: SamplingPolicy) {}

  shouldSample(context: Context, traceId: string): SamplingResult {
    const parent = trace.getSpanContext(context);
    const trusted = context.getValue(UNTRUSTED_SAMPLED_FLAG) !== true;
    return { decision: this.policy.samples(parent, traceId, trusted) ? SamplingDecision.RECORD_AND_SAMPLED : SamplingDecision.NOT_RECORD };
  }

  toString(): string {
    return this.policy.toString();
  }
}
