import type { HealthOptions, ResolvedHealthOptions } from './health/health-options.interface';
import type { MetricsOptions, ResolvedMetricsOptions } from './metrics/metrics-options.interface';
import type { ResolvedTracingOptions, TracingOptions } from './tracing/tracing-options.interface';

export type {
  DefaultMetricsOptions,
  HttpMetricsOptions,
  MetricsOptions,
  ResolvedHttpMetricsOptions,
  ResolvedMetricsOptions,
} from './metrics/metrics-options.interface';
export type { ClusterMetricsOptions, ResolvedClusterMetricsOptions } from './cluster/cluster-options.interface';
export type { TracingOptions, ResolvedTracingOptions } from './tracing/tracing-options.interface';
export type { HealthProbe, HealthIndicatorDefinition, HealthOptions, ResolvedHealthOptions } from './health/health-options.interface';

/**
 * Options of `ObservabilityModule.forRoot()` and of the factory of `forRootAsync()`.
 *
 * @example
 * ObservabilityModule.forRoot({ metrics: { defaultLabels: { service: 'orders' } } })
 */
export interface ObservabilityModuleOptions {
  /**
   * The metrics part: `/metrics`, HTTP metrics, `@Counted()`, `@Timed()` and metrics injected through DI.
   * `false` switches it off.
   * @default {}
   */
  metrics?: false | MetricsOptions;
  /**
   * The tracing part: server spans, `@Traced()`, `TracingService`, propagation and exemplars.
   * `false` switches it off.
   * @default {}
   */
  tracing?: false | TracingOptions;
  /**
   * The health part: Kubernetes probes built on Terminus. `false` switches it off.
   * @default {}
   */
  health?: false | HealthOptions;
}

/** The options the module really runs with: every default applied, every value validated. */
export interface ResolvedObservabilityOptions {
  metrics: ResolvedMetricsOptions;
  tracing: ResolvedTracingOptions;
  health: ResolvedHealthOptions;
}
