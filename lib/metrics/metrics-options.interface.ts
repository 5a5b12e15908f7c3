import type { ClusterMetricsOptions, ResolvedClusterMetricsOptions } from '../cluster/cluster-options.interface';

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
  /**
   * Also serves the prom-client (and so @willsoto/nestjs-prometheus) default names that are left out
   * otherwise: `nodejs_active_handles{type}`, `nodejs_active_handles_total`, `nodejs_active_requests{type}`,
   * `nodejs_active_requests_total` and `nodejs_active_resources_total`. They are gauges whose names end
   * in `_total`, which promtool's lint rejects; they are read from `process.getActiveResourcesInfo()`
   * (the `type` values are its resource names, like `TCPSocketWrap`, not prom-client's class names).
   * For dashboards migrated from willsoto: see docs/migration.md.
   * @default false
   */
  promClientNames?: boolean;
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
   * Request paths of the app that are not measured. An entry ending in `/*` matches it and everything
   * below it; case, doubled and trailing slashes are ignored. The module's own endpoints (/metrics, the
   * probes) are never measured, whatever this says.
   * @default []
   * @example ['/favicon.ico', '/internal/*']
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
 * Options of the OpenTelemetry-API metrics rendered on `/metrics` beside the prom-client Registry
 * (instruments from `metrics.getMeter(...)`, nestjs-otel's `MetricService`, OpenTelemetry instrumentations).
 *
 * @example
 * { reader: new ObservabilityMetricReader(), scopeLabels: false }
 */
export interface OpenTelemetryMetricsOptions {
  /**
   * A reader of yours, given to the `MeterProvider` you built. Not needed with `startObservabilitySdk()` or the
   * `register` preload, whose reader is found on the global `MeterProvider`.
   * @default undefined
   */
  reader?: import('./otel/observability-metric.reader').ObservabilityMetricReader;
  /**
   * Whether to render the reader attached to the global `MeterProvider` (see `ObservabilityMetricReader.attachTo()`).
   * @default true
   */
  globalProvider?: boolean;
  /**
   * Whether each series carries `otel_scope_name` and `otel_scope_version` labels.
   * @default true
   */
  scopeLabels?: boolean;
  /**
   * Whether the resource attributes are rendered as the `target_info` metric.
   * @default true
   */
  targetInfo?: boolean;
}

/** OpenTelemetry-API metrics options after defaults were applied. */
export interface ResolvedOpenTelemetryMetricsOptions {
  enabled: boolean;
  reader: import('./otel/observability-metric.reader').ObservabilityMetricReader | null;
  globalProvider: boolean;
  scopeLabels: boolean;
  targetInfo: boolean;
}

/**
 * Credentials Prometheus must send to read `/metrics`: a bearer token (scrape_config `authorization`)
 * or a user name and password (scrape_config `basic_auth`). Compared in constant time. The health
 * probes never require them (the kubelet sends no credentials).
 *
 * @example
 * { bearerToken: process.env.METRICS_TOKEN! }
 *
 * @example
 * { username: 'prometheus', password: process.env.METRICS_PASSWORD! }
 */
export type MetricsAuthOptions = { bearerToken: string } | { username: string; password: string };

/** `metrics.auth` after validation. */
export type ResolvedMetricsAuth = { scheme: 'bearer'; bearerToken: string } | { scheme: 'basic'; username: string; password: string };

/**
 * Options of the metrics part.
 *
 * @example
 * { path: '/metrics', defaultLabels: { service: 'orders', version: '1.4.0' }, http: { buckets: [0.05, 0.1, 0.5, 1] } }
 */
export interface MetricsOptions {
  /**
   * Path of the Prometheus scrape endpoint. A global prefix set with `app.setGlobalPrefix()` applies to it
   * unless you exclude it there. `false` serves no endpoint: the metrics are still recorded, for the OTLP
   * push of `startObservabilitySdk({ metrics: { exporter: 'otlp' } })` (or `OTEL_METRICS_EXPORTER=otlp`).
   * @default '/metrics'
   * @example false
   */
  path?: string | false;
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
  /**
   * OpenTelemetry-API metrics on the same `/metrics`, serialized by `@opentelemetry/exporter-prometheus`.
   * `false` leaves them out.
   * @default {}
   */
  openTelemetry?: boolean | OpenTelemetryMetricsOptions;
  /**
   * Credentials required to read `/metrics`, on the app's port and on the management port; a request
   * without them, or with wrong ones, gets 401 with a `WWW-Authenticate` challenge.
   * @default undefined (no authentication)
   * @example { bearerToken: process.env.METRICS_TOKEN! }
   */
  auth?: MetricsAuthOptions;
  /**
   * One `/metrics` for all the workers of a pm2 cluster or a `node:cluster` app: every scrape answers
   * with the sum over the workers, whichever worker receives it. `true` takes every default. See
   * docs/workers-and-management.md, "Running several workers (pm2, node:cluster)".
   * @default false
   * @example true
   * @example { directory: '/run/orders-metrics', expectedWorkers: 4 }
   */
  cluster?: boolean | ClusterMetricsOptions;
  /**
   * Largest share of the event loop that rendering `/metrics` takes while a render is under way, from
   * more than 0 to 1. The render works in slices of at most 4 ms and rests after each one for
   * `slice × (1 − share) / share`, so that a scraper fetching back to back cannot take more than this
   * share of a busy server's CPU from requests. The cost is wall time: a render that needs 20 ms of CPU
   * answers in about 80 ms at 0.25, well within Prometheus's scrape timeout (10 s by default). `1` rests
   * not at all (the shortest scrape, for very large registries scraped against a tight `scrape_timeout`).
   * @default 0.25
   * @example 0.5
   */
  renderDutyCycle?: number;
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
  /** The endpoint's path; '/metrics' when `metrics.path` is false (still excluded from traffic). */
  path: string;
  /** Whether `/metrics` is served (`metrics.path` is not false). */
  endpoint: boolean;
  defaultMetrics: false | Required<DefaultMetricsOptions>;
  defaultLabels: Record<string, string>;
  http: false | ResolvedHttpMetricsOptions;
  timedBuckets: number[];
  decorators: ClassDecorator[];
  openTelemetry: ResolvedOpenTelemetryMetricsOptions;
  auth: ResolvedMetricsAuth | null;
  /** `false` unless `metrics.cluster` is set. */
  cluster: false | ResolvedClusterMetricsOptions;
  renderDutyCycle: number;
}
