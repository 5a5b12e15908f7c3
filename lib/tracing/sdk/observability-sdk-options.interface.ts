import type { Registry } from 'prom-client';
import type { MetricExportStats } from '../../metrics/otlp-push/metric-export.stats';
import type { ObservabilitySdkMetricsOptions } from '../../metrics/otlp-push/sdk-metrics-options.interface';
import type { ExportLogger } from './export-failure.reporter';
import type { SpanExportStats } from './span-export.stats';

/**
 * Options of `startObservabilitySdk()`. Every option falls back to the standard `OTEL_*` variable.
 *
 * @example
 * startObservabilitySdk({ serviceName: 'orders', serviceVersion: '1.4.0', environment: 'production' })
 */
export interface ObservabilitySdkOptions {
  /**
   * `service.name`.
   * @default process.env.OTEL_SERVICE_NAME, else `service.name` in OTEL_RESOURCE_ATTRIBUTES, else 'unknown_service:node'
   */
  serviceName?: string;
  /**
   * `service.version`.
   * @default `service.version` in OTEL_RESOURCE_ATTRIBUTES, else unset
   */
  serviceVersion?: string;
  /**
   * `deployment.environment.name`.
   * @default `deployment.environment.name` in OTEL_RESOURCE_ATTRIBUTES, else unset
   */
  environment?: string;
  /**
   * Where spans go: `'otlp'` (OTLP/HTTP protobuf, configured by `OTEL_EXPORTER_OTLP_*`; with no endpoint
   * set it posts to `http://localhost:4318/v1/traces`; `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL` or
   * `OTEL_EXPORTER_OTLP_PROTOCOL` may choose `http/json` or `grpc`), `'console'`, `'none'`, or an exporter of yours.
   * @default process.env.OTEL_TRACES_EXPORTER ?? 'otlp'
   */
  exporter?: 'otlp' | 'console' | 'none' | import('@opentelemetry/sdk-trace').SpanExporter;
  /**
   * How OTLP/HTTP protobuf spans leave the process. `'worker'`: each span is encoded to OTLP bytes when
   * it ends (it is then free for the GC), and the batches are compressed and posted from a worker
   * thread. `'sdk'`: the SDK's `BatchSpanProcessor` and OTLP exporter, on the main thread. The SDK's
   * path is also taken, whatever this says, for `http/json`, `grpc`, the OTLP TLS variables
   * (`OTEL_EXPORTER_OTLP_CERTIFICATE`, `_CLIENT_KEY`, `_CLIENT_CERTIFICATE`), `'console'` and an exporter of yours.
   * @default 'worker'
   */
  spanExport?: 'worker' | 'sdk';
  /**
   * Ratio of new traces that are sampled, under a parent-based sampler (a request that arrives with a
   * sampled `traceparent` is always traced). Ignored when `OTEL_TRACES_SAMPLER` is set: then that
   * sampler (and `OTEL_TRACES_SAMPLER_ARG`) applies.
   * @default Number(process.env.OTEL_TRACES_SAMPLER_ARG ?? 1)
   */
  sampleRatio?: number;
  /**
   * Spans that may wait for export (queue plus the batch in flight); beyond, spans are dropped and counted.
   * @default Number(process.env.OTEL_BSP_MAX_QUEUE_SIZE ?? 2048)
   */
  maxQueueSize?: number;
  /**
   * Spans per export request.
   * @default Number(process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ?? 512)
   */
  maxExportBatchSize?: number;
  /**
   * Delay between two exports, ms.
   * @default Number(process.env.OTEL_BSP_SCHEDULE_DELAY ?? 5000)
   */
  scheduledDelayMillis?: number;
  /**
   * How long one export may take before it is cancelled, ms.
   * @default Number(process.env.OTEL_BSP_EXPORT_TIMEOUT ?? 30000)
   */
  exportTimeoutMillis?: number;
  /**
   * OpenTelemetry instrumentations to enable. None by default: the module creates server spans itself
   * and propagates context to outgoing HTTP calls through diagnostics channels.
   * @default []
   */
  instrumentations?: unknown[];
  /**
   * Where the SDK says that exports fail (the first failure at once, with the endpoint and the reason;
   * then at most one summary a minute; one line when export works again).
   * @default Nest's `Logger` with the context 'ObservabilitySdk'
   */
  logger?: ExportLogger;
  /**
   * Metrics: the global `MeterProvider` for OpenTelemetry-API meters, and the OTLP push of every metric
   * (see `ObservabilitySdkMetricsOptions.exporter`). `false`: no MeterProvider at all.
   * @default {} (push as OTEL_METRICS_EXPORTER says)
   * @example { exporter: 'otlp', exportIntervalMillis: 15000 }
   */
  metrics?: false | ObservabilitySdkMetricsOptions;
}

/** A started SDK: what it counted, and how to flush or stop it. */
export interface ObservabilitySdk {
  /** Outcome counters of the sampled spans, exported by the module as metrics. */
  readonly stats: SpanExportStats;
  /** Where spans go, for the start-up log line. */
  readonly destination: string;
  /** Which path ended spans take (the encoded path and its worker thread, or the SDK's batch processor), for the start-up log line. */
  readonly exportPath: string;
  /** Where metrics are pushed (for the start-up log line), or null when they are not. */
  readonly metricsDestination: string | null;
  /** Outcome counters of the pushed metric points, exported by the module as metrics. */
  readonly metricStats: MetricExportStats;
  /**
   * Adds a prom-client Registry to the OTLP metric push (the module does this for its own Registry at
   * init); returns the function that removes it. No-op when metrics are not pushed.
   */
  addPrometheusRegistry(registry: Registry, startedAt?: number): () => void;
  /**
   * The sampling the SDK was built with, when the module's request fast path can honour it
   * (`null` with an `OTEL_TRACES_SAMPLER` it cannot express, or a disabled SDK: every request then
   * goes through the SDK's own path).
   */
  readonly sampling?: import('../sampling/trace-sampling').TraceSampling | null;
  /** Exports what is queued (spans, and metrics when they are pushed). */
  forceFlush(): Promise<void>;
  /** Flushes, then stops the SDK. Safe to call more than once. */
  shutdown(): Promise<void>;
}

