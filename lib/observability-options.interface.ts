import type { HealthOptions, ResolvedHealthOptions } from './health/health-options.interface';
import type { HttpClientOptions, ResolvedHttpClientOptions } from './http-client/http-client-options.interface';
import type { ResolvedWebSocketOptions, WebSocketOptions } from './websockets/websocket-options.interface';
import type { ManagementOptions, ResolvedManagementOptions } from './management/management-options.interface';
import type { MetricsOptions, ResolvedMetricsOptions } from './metrics/metrics-options.interface';
import type { ResolvedTracingOptions, TracingOptions } from './tracing/tracing-options.interface';

export type {
  DefaultMetricsOptions,
  HttpMetricsOptions,
  MetricsAuthOptions,
  MetricsOptions,
  ResolvedHttpMetricsOptions,
  ResolvedMetricsAuth,
  ResolvedMetricsOptions,
} from './metrics/metrics-options.interface';
export type { ClusterMetricsOptions, ResolvedClusterMetricsOptions } from './cluster/cluster-options.interface';
export type { TracingOptions, ResolvedTracingOptions } from './tracing/tracing-options.interface';
export type { HttpClientOptions, ResolvedHttpClientOptions } from './http-client/http-client-options.interface';
export type { ResolvedWebSocketOptions, WebSocketOptions } from './websockets/websocket-options.interface';
export type { ManagementOptions, ResolvedManagementOptions } from './management/management-options.interface';
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
  /**
   * Serves `/metrics` and the probes on a port of their own, outside Nest's pipeline, and no longer on
   * the app's port. `false` (or leaving it out) keeps them on the app's port.
   * @default false
   * @example { port: 9464 }
   */
  management?: false | ManagementOptions;
  /**
   * The outgoing HTTP part: a CLIENT span and `http_client_request_duration_seconds` for every
   * `fetch()`, undici and `http`/`https` call. `false` switches it off (`traceparent` still goes out).
   * @default {}
   */
  httpClient?: false | HttpClientOptions;
  /**
   * The WebSocket part: a span, a duration and message counts per `@SubscribeMessage()` handler, and
   * open connections per gateway (socket.io and ws). `false` switches it off.
   * @default {}
   */
  websockets?: false | WebSocketOptions;
}

/** The options the module really runs with: every default applied, every value validated. */
export interface ResolvedObservabilityOptions {
  metrics: ResolvedMetricsOptions;
  tracing: ResolvedTracingOptions;
  health: ResolvedHealthOptions;
  management: ResolvedManagementOptions;
  httpClient: ResolvedHttpClientOptions;
  websockets: ResolvedWebSocketOptions;
}
