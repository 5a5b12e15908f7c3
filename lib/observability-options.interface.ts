/**
 * Options of the process and Node.js runtime metrics (CPU, memory, event-loop lag, GC, handles).
 *
 * @example
 * { prefix: 'orders_', eventLoopMonitoringPrecision: 20 }
 */
export interface DefaultMetricsOptions {
  /**
   * Prefix put before every default metric name.
   * @default ''
   * @example 'orders_'
   */
  prefix?: string;
  /**
   * Buckets (seconds) of `nodejs_gc_duration_seconds`.
   * @default [0.001, 0.01, 0.1, 1, 2, 5]
   */
  gcDurationBuckets?: number[];
  /**
   * Sampling resolution of the event-loop delay monitor, in milliseconds.
   * @default 10
   */
  eventLoopMonitoringPrecision?: number;
}

/**
 * Options of the HTTP server metrics: the histogram `http_server_request_duration_seconds`
 * and the gauge `http_server_active_requests`.
 *
 * @example
 * { buckets: [0.01, 0.05, 0.1, 0.5, 1], excludePaths: ['/metrics', '/health/*', '/internal/*'] }
 */
export interface HttpMetricsOptions {
  /**
   * Histogram buckets in seconds.
   * @default [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] (OpenTelemetry's advice)
   */
  buckets?: number[];
  /**
   * Request paths that are not measured. An entry ending in `/*` matches everything below it.
   * Setting it replaces the default list.
   * @default [metrics path, '/health', '/health/*']
   * @example ['/metrics', '/health/*', '/favicon.ico']
   */
  excludePaths?: string[];
  /**
   * The `http_route` label value shared by every request that matched no route (404s),
   * so that random URLs cannot create new series.
   * @default 'UNMATCHED'
   */
  unmatchedRouteLabel?: string;
  /**
   * Upper bound of distinct `http_route` values. Past it, new routes are recorded as
   * `OTHER` and a warning is logged once (like Micrometer's `maximumAllowableTags`).
   * @default 1000
   */
  maxRoutes?: number;
}

/**
 * Options of the metrics part.
 *
 * @example
 * { path: '/metrics', defaultLabels: { service: 'orders', version: '1.4.0' }, http: { buckets: [0.05, 0.1, 0.5, 1] } }
 */
export interface MetricsOptions {
  /**
   * Path of the Prometheus scrape endpoint. A global prefix set with `app.setGlobalPrefix()` applies to it
   * unless you exclude it there.
   * @default '/metrics'
   */
  path?: string;
  /**
   * Process and Node.js metrics. `false` switches them off.
   * @default true
   */
  defaultMetrics?: boolean | DefaultMetricsOptions;
  /**
   * Labels added to every series of the module's Registry, for example service and version.
   * @default {}
   * @example { service: 'orders', version: '1.4.0' }
   */
  defaultLabels?: Record<string, string>;
  /**
   * HTTP server request metrics. `false` switches them off.
   * @default {}
   */
  http?: false | HttpMetricsOptions;
  /**
   * Default buckets (seconds) of `@Timed()` histograms; a decorator's own `buckets` wins.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
   */
  timedBuckets?: number[];
  /**
   * Class decorators applied to the metrics controller, for example your own `@Public()` so that a
   * global auth guard lets Prometheus scrape, or a guard of your own that protects /metrics.
   * @default []
   * @example [Public(), UseGuards(ScrapeTokenGuard)]
   */
  decorators?: ClassDecorator[];
}

/**
 * Options of the tracing part: one server span per request, `@Traced()`, propagation, exemplars.
 *
 * @example
 * { excludePaths: ['/metrics', '/health/*', '/favicon.ico'], exemplars: true }
 */
export interface TracingOptions {
  /**
   * Request paths that get no server span. An entry ending in `/*` matches everything below it.
   * Setting it replaces the default list.
   * @default [metrics path, '/health', '/health/*']
   */
  excludePaths?: string[];
  /**
   * Attach the current `trace_id` and `span_id` as exemplars to HTTP duration and `@Timed()`
   * observations made inside a sampled span. They are exposed in OpenMetrics scrapes only.
   * @default true
   */
  exemplars?: boolean;
  /**
   * Record the controller and handler names and the exceptions that handlers throw on the server span,
   * by wrapping each HTTP route handler once at boot (no interceptor on the HTTP path).
   * @default true
   */
  routeHandlers?: boolean;
  /**
   * Apply the module's OpenTelemetry interceptor to microservice (`@MessagePattern`, `@EventPattern`)
   * handlers, so that every RPC message gets a server span.
   * @default true
   */
  rpc?: boolean;
  /**
   * Register `ObservabilityInterceptor` globally, for contexts the module does not cover by itself
   * (WebSocket gateways, GraphQL). Off by default: Nest's interceptor pipeline costs about a quarter of
   * a hello-world's HTTP throughput, and HTTP and RPC are traced without it.
   * @default false
   */
  interceptor?: boolean;
  /**
   * Inject `traceparent`/`tracestate`/`baggage` into outgoing `http`/`https` requests and `fetch()`
   * calls, through Node's diagnostics channels (no monkey-patching, works in ESM apps).
   * @default true
   */
  propagateOutgoing?: boolean;
  /**
   * Name of the tracer (instrumentation scope) the module's spans are created with.
   * @default 'nestjs-observability'
   */
  tracerName?: string;
  /**
   * A TracerProvider to use instead of the global one (which `startObservabilitySdk()` registers).
   * Tests use it to collect spans in memory; see `ObservabilityTestingModule`.
   * @default the global provider, resolved at call time
   */
  tracerProvider?: import('@opentelemetry/api').TracerProvider;
}

/** The three Kubernetes probes. */
export type HealthProbe = 'liveness' | 'readiness' | 'startup';

/**
 * A health indicator given in the options rather than as a decorated class: a name, the probes it
 * belongs to, and a check whose dependencies (e.g. Terminus' `MemoryHealthIndicator`) are injected.
 *
 * @example
 * { name: 'heap', probes: ['liveness'], inject: [MemoryHealthIndicator], check: (memory) => memory.checkHeap('heap', 512 * 1024 * 1024) }
 */
export interface HealthIndicatorDefinition {
  /** Key of the indicator in the health response and the `indicator` label. */
  name: string;
  /**
   * Probes that run it.
   * @default ['readiness']
   */
  probes?: HealthProbe[];
  /**
   * Timeout of one check, ms.
   * @default the module's `health.timeoutMs`
   */
  timeoutMs?: number;
  /**
   * Providers passed to `check`, from the module's context (Terminus' indicators are there).
   * @default []
   */
  inject?: Array<import('@nestjs/common').InjectionToken>;
  /** The check: return `up(details)` / `down(details)`, a boolean, a Terminus result, or throw. */
  check: (...dependencies: any[]) => unknown;
}

/**
 * Options of the health part: `/health/live`, `/health/ready`, `/health/startup`.
 *
 * @example
 * { details: 'never', drainDelayMs: 10000, liveness: { maxEventLoopDelayMs: 1000 } }
 */
export interface HealthOptions {
  /**
   * Path prefix of the probe endpoints.
   * @default '/health'
   */
  path?: string;
  /**
   * Paths of the three probes, below `path`.
   * @default { liveness: 'live', readiness: 'ready', startup: 'startup' }
   */
  probePaths?: Partial<Record<HealthProbe, string>>;
  /**
   * Indicators given here, beside the `@HealthIndicator()` classes found in any module: classes
   * (registered as providers of this module) or definitions.
   * @default []
   */
  indicators?: Array<import('@nestjs/common').Type<unknown> | HealthIndicatorDefinition>;
  /**
   * Default timeout of one indicator, ms. A check that takes longer reports down, "timed out after N ms".
   * @default 3000
   */
  timeoutMs?: number;
  /**
   * Deadline of a whole probe, ms: indicators still running then report down.
   * @default 5000
   */
  deadlineMs?: number;
  /**
   * How long a probe's result is reused, ms. 0 disables the cache; concurrent probes always share
   * the run already in flight.
   * @default 0
   */
  cacheTtlMs?: number;
  /**
   * `always` shows each indicator's details; `never` answers `{ "status": "ok" | "error" }` only, for public exposure.
   * @default 'always'
   */
  details?: 'always' | 'never';
  /**
   * Optional liveness thresholds; liveness checks nothing external.
   * @default {}
   */
  liveness?: { maxEventLoopDelayMs?: number; maxHeapUsedBytes?: number };
  /**
   * On SIGTERM, how long readiness answers 503 while the app keeps serving, before Nest closes, ms.
   * Match it in Kubernetes: `terminationGracePeriodSeconds` > drain + the longest request.
   * @default 5000
   */
  drainDelayMs?: number;
}

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

/** Health options after defaults were applied. */
export interface ResolvedHealthOptions {
  enabled: boolean;
  path: string;
  probePaths: Record<HealthProbe, string>;
  indicators: Array<import('@nestjs/common').Type<unknown> | HealthIndicatorDefinition>;
  timeoutMs: number;
  deadlineMs: number;
  cacheTtlMs: number;
  details: 'always' | 'never';
  liveness: { maxEventLoopDelayMs: number | null; maxHeapUsedBytes: number | null };
  drainDelayMs: number;
}

/** Tracing options after defaults were applied. */
export interface ResolvedTracingOptions {
  enabled: boolean;
  excludePaths: string[];
  exemplars: boolean;
  routeHandlers: boolean;
  rpc: boolean;
  interceptor: boolean;
  propagateOutgoing: boolean;
  tracerName: string;
  tracerProvider: import('@opentelemetry/api').TracerProvider | null;
}

/** HTTP metrics options after defaults were applied. */
export interface ResolvedHttpMetricsOptions {
  buckets: number[];
  excludePaths: string[];
  unmatchedRouteLabel: string;
  maxRoutes: number;
}

/** Metrics options after defaults were applied. */
export interface ResolvedMetricsOptions {
  enabled: boolean;
  path: string;
  defaultMetrics: false | Required<DefaultMetricsOptions>;
  defaultLabels: Record<string, string>;
  http: false | ResolvedHttpMetricsOptions;
  timedBuckets: number[];
  decorators: ClassDecorator[];
}

/** The options the module really runs with: every default applied, every value validated. */
export interface ResolvedObservabilityOptions {
  metrics: ResolvedMetricsOptions;
  tracing: ResolvedTracingOptions;
  health: ResolvedHealthOptions;
}
