import { context, diag, DiagConsoleLogger, DiagLogLevel, propagation, trace } from '@opentelemetry/api';
import { createRequire } from 'node:module';
import { CountingSpanProcessor, countingExporter } from './counting-span.processor';
import { SpanExportStats } from './span-export.stats';
import { createTraceSampling, TraceSampling } from '../sampling/trace-sampling';

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
   * set it posts to `http://localhost:4318/v1/traces`), `'console'`, `'none'`, or an exporter of yours.
   * @default process.env.OTEL_TRACES_EXPORTER ?? 'otlp'
   */
  exporter?: 'otlp' | 'console' | 'none' | import('@opentelemetry/sdk-trace').SpanExporter;
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
}

/** A started SDK: what it counted, and how to flush or stop it. */
export interface ObservabilitySdk {
  /** Outcome counters of the sampled spans, exported by the module as metrics. */
  readonly stats: SpanExportStats;
  /** Where spans go, for the start-up log line. */
  readonly destination: string;
  /**
   * The sampling the SDK was built with, when the module's request fast path can honour it
   * (`null` with an `OTEL_TRACES_SAMPLER` it cannot express: every request then goes through the SDK).
   */
  readonly sampling: TraceSampling | null;
  /** Exports what is queued. */
  forceFlush(): Promise<void>;
  /** Flushes, then stops the SDK. Safe to call more than once. */
  shutdown(): Promise<void>;
}

const SDK_KEY = Symbol.for('nestjs-observability.sdk');

/**
 * Starts the OpenTelemetry Node SDK for traces: resource, OTLP/HTTP protobuf exporter, a bounded batch
 * processor whose drops are counted, a parent-based ratio sampler, W3C tracecontext and baggage
 * propagation, and the AsyncLocalStorage context manager. Call it before `NestFactory.create()`, or
 * preload `nestjs-observability/register`. `ObservabilityModule` flushes it on shutdown.
 *
 * @example
 * // main.ts
 * import { startObservabilitySdk } from 'nestjs-observability';
 * startObservabilitySdk({ serviceName: 'orders' });
 * const app = await NestFactory.create(AppModule);
 * app.enableShutdownHooks(); // flushes and stops the SDK on SIGTERM
 */
export function startObservabilitySdk(options: ObservabilitySdkOptions = {}): ObservabilitySdk {
  const existing = getObservabilitySdk();
  if (existing) return existing;
  const env = process.env;
  if (env.OTEL_LOG_LEVEL) diag.setLogger(new DiagConsoleLogger(), DiagLogLevel[env.OTEL_LOG_LEVEL.toUpperCase() as keyof typeof DiagLogLevel] ?? DiagLogLevel.WARN);
  // sdk-node brings the exporter, processor and resource packages; resolve them through it.
  const sdkRequire = createRequire(require.resolve('@opentelemetry/sdk-node'));
  const { NodeSDK } = sdkRequire('@opentelemetry/sdk-node');
  const traceSdk = sdkRequire('@opentelemetry/sdk-trace');
  const { resourceFromAttributes } = sdkRequire('@opentelemetry/resources');

  const stats = new SpanExportStats();
  const { exporter, destination } = createExporter(options.exporter ?? (env.OTEL_TRACES_EXPORTER as ObservabilitySdkOptions['exporter']) ?? 'otlp', sdkRequire, traceSdk);
  const maxQueueSize = options.maxQueueSize ?? numberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE', 2048);
  const spanProcessors = exporter
    ? [
        new CountingSpanProcessor(
          new traceSdk.BatchSpanProcessor({
            exporter: countingExporter(exporter, stats),
            maxQueueSize: maxQueueSize + 1,
            maxExportBatchSize: Math.min(options.maxExportBatchSize ?? numberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512), maxQueueSize),
            scheduledDelayMillis: options.scheduledDelayMillis ?? numberFromEnv('OTEL_BSP_SCHEDULE_DELAY', 5000),
            exportTimeoutMillis: options.exportTimeoutMillis ?? numberFromEnv('OTEL_BSP_EXPORT_TIMEOUT', 30000),
          }),
          stats,
          maxQueueSize,
        ),
      ]
    : [];
  const attributes: Record<string, string> = {};
  if (options.serviceName) attributes['service.name'] = options.serviceName;
  if (options.serviceVersion) attributes['service.version'] = options.serviceVersion;
  if (options.environment) attributes['deployment.environment.name'] = options.environment;
  // One sampling rule for the SDK and the module's request fast path (lib/tracing/sampling).
  const sampling = createTraceSampling(options.sampleRatio, env);

  const sdk = new NodeSDK({
    ...(Object.keys(attributes).length ? { resource: resourceFromAttributes(attributes) } : {}),
    ...(options.serviceName ? { serviceName: options.serviceName } : {}),
    spanProcessors,
    ...(sampling ? { sampler: sampling.sampler, idGenerator: sampling.idGenerator } : {}),
    instrumentations: options.instrumentations ?? [],
    // Traces only: metrics stay in the module's Prometheus Registry.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();

  let stopped: Promise<void> | null = null;
  const handle: ObservabilitySdk = {
    stats,
    destination,
    sampling,
    forceFlush: () => Promise.all(spanProcessors.map((p) => p.forceFlush())).then(() => undefined),
    shutdown: () => {
      stopped ??= sdk.shutdown().catch((error: unknown) => diag.warn(`nestjs-observability: SDK shutdown failed: ${String(error)}`)).finally(() => {
        if ((globalThis as Record<symbol, unknown>)[SDK_KEY] !== handle) return;
        delete (globalThis as Record<symbol, unknown>)[SDK_KEY];
        // Release the global registrations, so that a later SDK in this process can take them.
        trace.disable();
        context.disable();
        propagation.disable();
      });
      return stopped!;
    },
  };
  // The SDK is process-wide by nature (it registers the global providers); so is this handle.
  (globalThis as Record<symbol, unknown>)[SDK_KEY] = handle;
  return handle;
}

/** The SDK that `startObservabilitySdk()` started in this process, if any. */
export function getObservabilitySdk(): ObservabilitySdk | undefined {
  return (globalThis as Record<symbol, ObservabilitySdk | undefined>)[SDK_KEY];
}

function createExporter(choice: NonNullable<ObservabilitySdkOptions['exporter']>, sdkRequire: NodeRequire, traceSdk: any): { exporter: any; destination: string } {
  if (typeof choice === 'object') return { exporter: choice, destination: 'a custom exporter' };
  switch (choice) {
    case 'none':
      return { exporter: null, destination: 'nowhere (exporter "none")' };
    case 'console':
      return { exporter: new traceSdk.ConsoleSpanExporter(), destination: 'the console' };
    case 'otlp': {
      const { OTLPTraceExporter } = sdkRequire('@opentelemetry/exporter-trace-otlp-proto');
      const env = process.env;
      const url = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? (env.OTEL_EXPORTER_OTLP_ENDPOINT ? `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces` : 'http://localhost:4318/v1/traces');
      return { exporter: new OTLPTraceExporter(), destination: `OTLP/HTTP protobuf at ${url}` };
    }
    default:
      throw new Error(`nestjs-observability: unknown trace exporter "${String(choice)}". Use "otlp", "console", "none" or a SpanExporter (OTEL_TRACES_EXPORTER accepts the first three).`);
  }
}

function numberFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}
