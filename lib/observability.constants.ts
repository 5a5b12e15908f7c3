/**
 * Injection token of the fully resolved (defaults applied, validated) options.
 * Inject it to read the configuration the module really runs with.
 *
 * @example
 * constructor(@Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions) {}
 */
export const OBSERVABILITY_RESOLVED_OPTIONS = Symbol('nestjs-observability:resolved-options');

/**
 * Injection token of the prom-client `Registry` that belongs to this module instance.
 * It is never prom-client's global `register`.
 *
 * @example
 * constructor(@Inject(OBSERVABILITY_REGISTRY) private readonly registry: Registry) {}
 */
export const OBSERVABILITY_REGISTRY = Symbol('nestjs-observability:registry');

/** Reflect-metadata key under which method decorators store their instrumentation specs. */
export const INSTRUMENTATION_METADATA = 'nestjs-observability:instrumentation';

/**
 * Reflect-metadata key set (to `true`) on the module's own controllers (/metrics, health).
 * A global guard or interceptor can read it to skip them; see `isObservabilityEndpoint()`.
 */
export const OBSERVABILITY_ENDPOINT_METADATA = 'nestjs-observability:endpoint';

/** Prefix of the injection tokens of metrics declared with `makeCounterProvider()` and friends. */
export const METRIC_TOKEN_PREFIX = 'nestjs-observability:metric:';

/**
 * Default buckets (seconds) of the HTTP server duration histogram: the OpenTelemetry
 * semantic-conventions advice for `http.server.request.duration`.
 */
export const DEFAULT_HTTP_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/**
 * Default `metrics.renderDutyCycle`: a render of /metrics takes at most a quarter of the event loop
 * while it is under way, so that back-to-back scrapes cost requests at most about a third more latency.
 */
export const DEFAULT_RENDER_DUTY_CYCLE = 0.25;

/** Default buckets (seconds) of `@Timed()` histograms: prom-client's defaults. */
export const DEFAULT_TIMED_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

/**
 * Injection token of the OpenTelemetry `Tracer` the module's spans are created with. It comes from
 * `tracing.tracerProvider` or, by default, from the global provider through the API's proxy, so an SDK
 * started after the app still gets every span.
 *
 * @example
 * constructor(@Inject(OBSERVABILITY_TRACER) private readonly tracer: Tracer) {}
 */
export const OBSERVABILITY_TRACER = Symbol('nestjs-observability:tracer');

/** Reflect-metadata key of `@HealthIndicator()`. */
export const HEALTH_INDICATOR_METADATA = 'nestjs-observability:health-indicator';

/** Nest's route-path metadata key (`'path'` in Nest 11 and 12), set on the module's own controllers. */
export const NEST_PATH_METADATA = 'path';

/** Node's timers hold at most 2^31−1 ms (about 24.8 days); a longer delay silently becomes 1 ms. Every ms option is bounded by it. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
