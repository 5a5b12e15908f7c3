import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { ExportFailureReporter } from './export-failure.reporter';
import { SpanExportStats } from './span-export.stats';

/** Result codes of `SpanExporter.export` (ExportResultCode.SUCCESS in @opentelemetry/core). */
const SUCCESS = 0;

/**
 * Wraps an exporter so that every export's outcome is counted, and failures and recovery are logged.
 */
export function countingExporter(exporter: SpanExporter, stats: SpanExportStats, reporter?: ExportFailureReporter): SpanExporter {
  return {
    export(spans, resultCallback) {
      let reported = false;
      exporter.export(spans, (result) => {
        if (reported) return;
        reported = true;
        if (result.code === SUCCESS) {
          stats.exported += spans.length;
          reporter?.success();
        } else {
          stats.failed += spans.length;
          reporter?.failure(result.error, spans.length);
        }
        resultCallback(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

/**
 * Sits in front of a BatchSpanProcessor: counts every sampled span that ends, and drops (and counts)
 * spans once `maxPending` of them wait for export — the in-flight batch included — so that memory stays
 * bounded when the Collector is down or never answers, and every drop is visible.
 */
export class CountingSpanProcessor implements SpanProcessor {
  constructor(
    private readonly inner: SpanProcessor,
    private readonly stats: SpanExportStats,
    private readonly maxPending: number,
  ) {}

  onStart(span: Span, parentContext: Context): void {
    this.inner.onStart(span, parentContext);
  }

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & 1) === 0) return;
    this.stats.ended++;
    if (this.stats.pending > this.maxPending) {
      this.stats.dropped++;
      return;
    }
    this.inner.onEnd(span);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
