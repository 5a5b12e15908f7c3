export { ObservabilityModule } from './observability.module';
export { OBSERVABILITY_MODULE_OPTIONS } from './observability.module-definition';
export {
  OBSERVABILITY_REGISTRY,
  OBSERVABILITY_RESOLVED_OPTIONS,
  OBSERVABILITY_ENDPOINT_METADATA,
  DEFAULT_HTTP_BUCKETS,
  DEFAULT_TIMED_BUCKETS,
} from './observability.constants';
export type {
  ObservabilityModuleOptions,
  MetricsOptions,
  HttpMetricsOptions,
  DefaultMetricsOptions,
  ResolvedObservabilityOptions,
  ResolvedMetricsOptions,
  ResolvedHttpMetricsOptions,
} from './observability-options.interface';
export { ObservabilityConfigError } from './observability-config.error';
export { isObservabilityEndpoint } from './observability-endpoint.util';
export { MetricsService } from './metrics/metrics.service';
export { ObservabilityMetricsController } from './metrics/metrics.controller';
export { Counted } from './metrics/counted.decorator';
export type { CountedOptions } from './metrics/counted.decorator';
export { Timed } from './metrics/timed.decorator';
export type { TimedOptions } from './metrics/timed.decorator';
export {
  InjectMetric,
  getMetricToken,
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
  makeSummaryProvider,
} from './metrics/metric.providers';
export { renderRegistry, negotiateFormat, CONTENT_TYPES } from './metrics/metrics.renderer';
export type { ExpositionFormat } from './metrics/metrics.renderer';
