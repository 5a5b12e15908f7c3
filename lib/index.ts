import './peer-dependencies.guard';
export { ObservabilityModule } from './observability.module';
export type { ObservabilityAsyncOptions } from './observability.module';
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
export type { ClusterMetricsOptions, ResolvedClusterMetricsOptions } from './cluster/cluster-options.interface';
export type { HttpClientOptions, ResolvedHttpClientOptions } from './http-client/http-client-options.interface';
export type { ResolvedWebSocketOptions, WebSocketOptions } from './websockets/websocket-options.interface';
export type { GraphQLOptions, ResolvedGraphQLOptions } from './graphql/graphql-options.interface';
export { ClusterPrimary, runClusterPrimary } from './cluster/cluster-primary';
export type { ClusterPrimaryOptions } from './cluster/cluster-primary';
export { ObservabilityConfigError } from './observability-config.error';
export { isObservabilityEndpoint } from './observability-endpoint.util';
export { MetricsService } from './metrics/metrics.service';
export { ObservabilityMetricsController } from './metrics/metrics.controller';
export { MetricsEndpoint } from './metrics/metrics-endpoint.service';
export type { EndpointResponse, RequestHeaders } from './metrics/metrics-endpoint.service';
export type { MetricsAuthOptions } from './observability-options.interface';
export { ManagementServer } from './management/management.server';
export type { ManagementOptions, ResolvedManagementOptions } from './observability-options.interface';
export { Counted } from './metrics/counted.decorator';
export type { CountedOptions } from './metrics/counted.decorator';
export { Timed } from './metrics/timed.decorator';
export { NoMetrics } from './metrics/no-metrics.decorator';
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
export { ObservabilityMetricReader, OBSERVABILITY_METRIC_READER } from './metrics/otel/observability-metric.reader';
export type { ObservabilityMetricReaderOptions } from './metrics/otel/observability-metric.reader';
export type { OpenTelemetryMetricsOptions, ResolvedOpenTelemetryMetricsOptions } from './metrics/metrics-options.interface';
export type { ExpositionFormat } from './metrics/metrics.renderer';
export { OBSERVABILITY_TRACER } from './observability.constants';
export type { TracingOptions, ResolvedTracingOptions } from './observability-options.interface';
export { Traced } from './tracing/traced.decorator';
export { NoTrace } from './tracing/no-trace.decorator';
export { Observed } from './observed/observed.decorator';
export type { ObservedOptions } from './observed/observed.decorator';
export type { TracedOptions } from './tracing/traced.decorator';
export { TracingService } from './tracing/tracing.service';
export type { ActiveSpanOptions } from './tracing/tracing.service';
export { MessagingClientInstrumenter } from './messaging/messaging-client.instrumenter';
export { REDIS_TRACE_FIELD } from './messaging/messaging-transport';
export { BULLMQ_TRACE_FIELD } from './bullmq/bullmq-context';
export { QueueBacklogHealth } from './bullmq/queue-backlog.health';
export type { JobCountsSource, QueueBacklogOptions } from './bullmq/queue-backlog.health';
export { RedisConnectionHealth } from './messaging/redis-connection.health';
export type { PingableRedis } from './messaging/redis-connection.health';
export { ObservabilityLogger } from './tracing/observability.logger';
export { startObservabilitySdk, getObservabilitySdk } from './tracing/sdk/observability-sdk';
export type { ObservabilitySdk, ObservabilitySdkOptions } from './tracing/sdk/observability-sdk';
export { SpanExportStats } from './tracing/sdk/span-export.stats';
export { ObservabilitySampler } from './tracing/sampling/observability.sampler';
export { SamplingPolicy } from './tracing/sampling/sampling-policy';
export type { TraceSampling } from './tracing/sampling/trace-sampling';
export { ObservabilityTestingModule } from './testing/observability-testing.module';
export { TestSpans } from './testing/test-spans';
export type { SpanNode } from './testing/test-spans';
export type { HealthOptions, HealthProbe, HealthIndicatorDefinition, ResolvedHealthOptions } from './observability-options.interface';
export { HealthIndicator } from './health/health-indicator.decorator';
export type { HealthIndicatorOptions } from './health/health-indicator.decorator';
export { up, down } from './health/health-indicator.interface';
export type { HealthCheckOutcome, ObservabilityHealthIndicator } from './health/health-indicator.interface';
export { HealthProbeService } from './health/health-probe.service';
export { GracefulShutdownHook } from './health/graceful-shutdown.hook';
export type { ProbeReport } from './health/health-probe.service';
export { ObservabilityHealthController } from './health/health.controller';
export { ObservabilityInterceptor } from './tracing/observability.interceptor';
export type { ScheduleObservabilityOptions, EventsObservabilityOptions, ResolvedBackgroundOptions } from './background/background-options.interface';
export { PushgatewayService } from './pushgateway/pushgateway.service';
export type { PushgatewayOptions, ResolvedPushgatewayOptions } from './pushgateway/pushgateway-options.interface';
export { CurrentSpan } from './handler-params/current-span.decorator';
export { Baggage } from './handler-params/baggage.decorator';
