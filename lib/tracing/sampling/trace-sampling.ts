import { ObservabilitySampler } from './observability.sampler';
import { PresetTraceIdGenerator } from './preset-trace-id.generator';
import { SamplingPolicy } from './sampling-policy';

/**
 * What an SDK needs so that the module's request fast path can take sampling decisions before it:
 * the policy, the sampler built on it and the id generator that takes over the fast path's trace ids.
 * Whoever builds the SDK (`startObservabilitySdk()`) passes `sampler` and `idGenerator` to it and keeps
 * this object on its handle; the module's HTTP listener finds it there.
 */
export interface TraceSampling {
  readonly policy: SamplingPolicy;
  readonly sampler: ObservabilitySampler;
  readonly idGenerator: PresetTraceIdGenerator;
}

/**
 * The sampling of an SDK started with `sampleRatio` (or the `OTEL_TRACES_SAMPLER*` variables), or `null`
 * when `OTEL_TRACES_SAMPLER` names a sampler the fast path cannot honour: then the SDK builds that
 * sampler itself and every request takes the SDK path, as before.
 */
export function createTraceSampling(sampleRatio: number | undefined, env: NodeJS.ProcessEnv = process.env): TraceSampling | null {
  const policy = SamplingPolicy.fromEnvironment(sampleRatio, env);
  if (policy === null) return null;
  const idGenerator = new PresetTraceIdGenerator();
  return { policy, sampler: new ObservabilitySampler(policy, idGenerator), idGenerator };
}
