import type { HealthOptions, ResolvedHealthOptions } from './health/health-options.interface';
import type { HttpClientOptions, ResolvedHttpClientOptions } from './http-client/http-client-options.interface';
import type { ResolvedWebSocketOptions, WebSocketOptions } from './websockets/websocket-options.interface';
import type { GraphQLOptions, ResolvedGraphQLOptions } from './graphql/graphql-options.interface';
import type { MessagingOptions, ResolvedMessagingOptions } from './messaging/messaging-options.interface';
import type { BullMqOptions, ResolvedBullMqOptions } from './bullmq/bullmq-options.interface';
import type { ManagementOptions, ResolvedManagementOptions } from './management/management-options.interface';
import type { MetricsOptions, ResolvedMetricsOptions } from './metrics/metrics-options.interface';
import type { ResolvedTracingOptions, TracingOptions } from './tracing/tracing-options.interface';
import type { PushgatewayOptions, ResolvedPushgatewayOptions } from './pushgateway/pushgateway-options.interface';
import type { EventsObservabilityOptions, ResolvedBackgroundOptions, ScheduleObservabilityOptions } from './background/background-options.interface';

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
export type { GraphQLOptions, ResolvedGraphQLOptions } from './graphql/graphql-options.interface';
export type { MessageContextMode, MessagingOptions, ResolvedMessagingOptions } from './messaging/messaging-options.interface';
export type { BullMqOptions, QueueMetricsOptions, ResolvedBullMqOptions } from './bullmq/bullmq-options.interface';
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
   * `@Cron()`, `@Interval()` and `@Timeout()` handlers of `@nestjs/schedule`: a root span and duration,
   * result and last-success metrics per job. Acts only where those decorators are. `false` switches it off.
   * @default true
   */
  schedule?: boolean | ScheduleObservabilityOptions;
  /**
   * `@OnEvent()` handlers of `@nestjs/event-emitter`: a span (child of the emitter's) and a duration
   * metric per event. Acts only where that decorator is. `false` switches it off.
   * @default true
   */
  events?: boolean | EventsObservabilityOptions;
  /**
   * Pushes the metrics to a Prometheus Pushgateway on an interval and once at shutdown, for batch jobs and
   * standalone apps (`NestFactory.createApplicationContext`). `false` (or leaving it out): no push.
   * @default false
   * @example { url: 'http://pushgateway:9091', job: 'orders-import' }
   */
  pushgateway?: false | PushgatewayOptions;
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
  /**
   * The GraphQL part (`@nestjs/graphql` with Apollo or Mercurius): a span and
   * `graphql_server_request_duration_seconds` per operation. `false` switches it off.
   * @default {}
   */
  graphql?: false | GraphQLOptions;
  /**
   * The microservice messaging part (Redis, NATS, RabbitMQ transports): PRODUCER spans for
   * `ClientProxy.send()`/`emit()`, the trace context in the message, a CONSUMER span and metrics per
   * handler. `false` switches it off.
   * @default {}
   */
  messaging?: false | MessagingOptions;
  /**
   * The BullMQ part (`@nestjs/bullmq`): spans and metrics for `Queue.add()`, `FlowProducer.add()` and
   * every `@Processor()`, and an optional scrape-time queue gauge. `false` switches it off.
   * @default {}
   */
  bullmq?: false | BullMqOptions;
}

/** The options the module really runs with: every default applied, every value validated. */
export interface ResolvedObservabilityOptions {
  metrics: ResolvedMetricsOptions;
  tracing: ResolvedTracingOptions;
  health: ResolvedHealthOptions;
  management: ResolvedManagementOptions;
  schedule: ResolvedBackgroundOptions;
  events: ResolvedBackgroundOptions;
  pushgateway: ResolvedPushgatewayOptions;
  httpClient: ResolvedHttpClientOptions;
  websockets: ResolvedWebSocketOptions;
  graphql: ResolvedGraphQLOptions;
  messaging: ResolvedMessagingOptions;
  bullmq: ResolvedBullMqOptions;
}
