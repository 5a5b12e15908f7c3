/**
 * Metrics options of `startObservabilitySdk()`. Every option falls back to the standard `OTEL_*` variable.
 *
 * @example
 * { exporter: 'otlp', url: 'http://collector:4318/v1/metrics', exportIntervalMillis: 15000 }
 */
export interface ObservabilitySdkMetricsOptions {
  /**
   * `'otlp'` pushes every metric over OTLP: the OpenTelemetry-API meters' and the module's prom-client
   * Registry's (HTTP metrics, `@Counted()`, `@Timed()`, custom and default metrics), cumulative.
   * `'none'` pushes nothing (`/metrics` still serves everything). Off unless asked for, unlike NodeSDK:
   * the module's own path is the Prometheus scrape.
   * @default 'otlp' when OTEL_METRICS_EXPORTER lists otlp, else 'none'
   */
  exporter?: 'otlp' | 'none';
  /**
   * Full URL the metrics are posted to.
   * @default OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + '/v1/metrics', else 'http://localhost:4318/v1/metrics'
   */
  url?: string;
  /**
   * OTLP transport.
   * @default OTEL_EXPORTER_OTLP_METRICS_PROTOCOL ?? OTEL_EXPORTER_OTLP_PROTOCOL ?? 'http/protobuf'
   */
  protocol?: 'http/protobuf' | 'http/json' | 'grpc';
  /**
   * Time between two pushes, ms.
   * @default Number(process.env.OTEL_METRIC_EXPORT_INTERVAL ?? 60000)
   */
  exportIntervalMillis?: number;
  /**
   * How long one push may take, ms (at most the interval).
   * @default Number(process.env.OTEL_METRIC_EXPORT_TIMEOUT ?? 30000)
   */
  exportTimeoutMillis?: number;
}
