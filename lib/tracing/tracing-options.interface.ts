import type { TracerProvider } from '@opentelemetry/api';

/**
 * Options of the tracing part: one server span per request, `@Traced()`, propagation, exemplars.
 *
 * @example
 * { excludePaths: ['/metrics', '/health/*', '/favicon.ico'], exemplars: true }
 */
export interface TracingOptions {
  /**
   * Request paths of the app that get no server span. An entry ending in `/*` matches it and everything
   * below it; case, doubled and trailing slashes are ignored. The module's own endpoints (/metrics, the
   * probes) are never traced, whatever this says.
   * @default []
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
   * Follow the sampled flag of an incoming `traceparent` (W3C behaviour, right inside a trusted mesh).
   * `false` for an edge service: a caller that says "sampled" gets the sample ratio applied to its trace
   * id instead, so no client can force 100% sampling; a caller that says "not sampled" is still followed.
   * Applies to HTTP requests and RPC messages, on the fast path and in the SDK's sampler
   * (`startObservabilitySdk()`'s, or `ObservabilitySampler` in an SDK of your own).
   * @default true
   */
  trustIncomingSampling?: boolean;
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
  tracerProvider?: TracerProvider;
  /**
   * When the app closes, how long the final flush of the SDK (`startObservabilitySdk()`) may take, ms.
   * A Collector that never answers would otherwise hold the shutdown for the whole export timeout;
   * past this budget the shutdown goes on and the log says how many spans were not delivered.
   * Count it in Kubernetes' `terminationGracePeriodSeconds`.
   * @default 3000
   */
  flushTimeoutMs?: number;
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
  trustIncomingSampling: boolean;
  tracerName: string;
  tracerProvider: TracerProvider | null;
  flushTimeoutMs: number;
}
