import { CompactConsoleSpanExporter } from './compact-console.exporter';
import { CountingSpanProcessor, countingExporter } from './counting-span.processor';
import { EncodedSpanProcessor } from './encoded-span.processor';
import { ExportFailureReporter, type ExportLogger } from './export-failure.reporter';
import type { ObservabilitySdkOptions } from './observability-sdk-options.interface';
import { otlpCompression, otlpDestination, otlpExporterPackage, otlpHeaders, otlpProtocol, otlpTimeoutMillis, otlpTlsVariables, otlpUrl } from './otlp-endpoint';
import { numberFromEnv } from './sdk-env';
import type { SdkPackages } from './sdk-packages';
import type { SpanExportStats } from './span-export.stats';
import { WorkerSpanExporter } from './worker-span.exporter';

/** Bytes of encoded spans that may wait per span of `maxQueueSize` (2048 spans: 4 MiB). */
const QUEUE_BYTES_PER_SPAN = 2048;

/** The span processors of the SDK, where they send, and which path they take (for the start-up log). */
export interface SpanPipeline {
  spanProcessors: unknown[];
  destination: string;
  exportPath: string;
}

/**
 * Chooses how ended spans leave the process:
 * - **encoded** (`'otlp'` over `http/protobuf`, the default): each span is encoded to OTLP when it ends and
 *   the batches are posted from a worker thread (`EncodedSpanProcessor`, `WorkerSpanExporter`);
 * - **the SDK's path** (`spanExport: 'sdk'`, `http/json`, `grpc`, OTLP TLS variables, `'console'`, an
 *   exporter of yours): the SDK's `BatchSpanProcessor` and exporter, on the main thread.
 * Both count every span in `stats` and bound the queue at `maxQueueSize`.
 */
export function createSpanPipeline(options: ObservabilitySdkOptions, packages: SdkPackages, stats: SpanExportStats, log: () => ExportLogger): SpanPipeline {
  const env = process.env;
  const choice = options.exporter ?? (env.OTEL_TRACES_EXPORTER?.trim() as ObservabilitySdkOptions['exporter']) ?? 'otlp';
  const maxQueueSize = options.maxQueueSize ?? numberFromEnv('OTEL_BSP_MAX_QUEUE_SIZE', 2048);
  const maxExportBatchSize = Math.max(1, Math.min(options.maxExportBatchSize ?? numberFromEnv('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512), maxQueueSize));
  const scheduledDelayMillis = options.scheduledDelayMillis ?? numberFromEnv('OTEL_BSP_SCHEDULE_DELAY', 5000);
  const exportTimeoutMillis = options.exportTimeoutMillis ?? numberFromEnv('OTEL_BSP_EXPORT_TIMEOUT', 30000);

  if (choice === 'otlp') {
    const protocol = otlpProtocol('traces');
    const destination = otlpDestination('traces', protocol);
    const endpoint = destination.replace(/^.* at /, '');
    const tls = otlpTlsVariables('traces');
    const why =
      options.spanExport === 'sdk'
        ? 'spanExport: "sdk"'
        : protocol !== 'http/protobuf'
          ? `protocol ${protocol}`
          : tls.length
            ? `${tls.join(', ')} set`
            : null;
    if (!why) {
      const exporter = new WorkerSpanExporter({
        url: otlpUrl('traces', protocol),
        headers: otlpHeaders('traces'),
        compression: otlpCompression('traces'),
        timeoutMillis: Math.min(otlpTimeoutMillis('traces'), exportTimeoutMillis || Infinity),
      });
      const processor = new EncodedSpanProcessor(exporter, stats, new ExportFailureReporter('spans', endpoint, log), log, {
        maxQueueSize,
        maxQueueBytes: Math.max(maxQueueSize, 1) * QUEUE_BYTES_PER_SPAN,
        maxExportBatchSize,
        scheduledDelayMillis,
      });
      return { spanProcessors: [processor], destination, exportPath: 'the encoded path (spans encoded to OTLP as they end, posted from a worker thread)' };
    }
    const { OTLPTraceExporter } = packages.require(otlpExporterPackage('traces', protocol));
    return sdkPipeline(new OTLPTraceExporter(), destination, endpoint, `the SDK's path (its BatchSpanProcessor and OTLP exporter, on the main thread: ${why})`);
  }
  if (typeof choice === 'object') return sdkPipeline(choice, 'a custom exporter', 'a custom exporter', "the SDK's path (its BatchSpanProcessor and your exporter)");
  switch (choice) {
    case 'none':
      return { spanProcessors: [], destination: 'nowhere (exporter "none")', exportPath: 'no export' };
    case 'console':
      return sdkPipeline(new CompactConsoleSpanExporter(), 'the console (one line per span)', 'the console', "the SDK's path (its BatchSpanProcessor)");
    default:
      throw new Error(`nestjs-observability: unknown trace exporter "${String(choice)}". Use "otlp", "console", "none" or a SpanExporter (OTEL_TRACES_EXPORTER accepts the first three).`);
  }

  function sdkPipeline(exporter: any, destination: string, endpoint: string, exportPath: string): SpanPipeline {
    const processor = new CountingSpanProcessor(
      new packages.trace.BatchSpanProcessor({
        exporter: countingExporter(exporter, stats, new ExportFailureReporter('spans', endpoint, log)),
        maxQueueSize: maxQueueSize + 1,
        maxExportBatchSize,
        scheduledDelayMillis,
        exportTimeoutMillis,
      }),
      stats,
      maxQueueSize,
    );
    return { spanProcessors: [processor], destination, exportPath };
  }
}
