import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import type { ExportFailureReporter, ExportLogger } from './export-failure.reporter';
import { ObservabilitySpan } from '../span/observability.span';
import { OtlpSpanEncoder } from './otlp-span.encoder';
import { ProtobufWriter } from './protobuf.writer';
import type { SpanExportStats } from './span-export.stats';
import type { WorkerExportResult, WorkerSpanExporter } from './worker-span.exporter';

/** Settings of {@link EncodedSpanProcessor}: the batch processor's, plus a bound in bytes. */
export interface EncodedSpanProcessorOptions {
  /** Spans that may wait (the batch being filled and the batches in flight). */
  maxQueueSize: number;
  /** Bytes of encoded spans that may wait. */
  maxQueueBytes: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
}

/** Numbers per span in a batch's index (scope id, offset, length), as `otlp-export.worker` reads them. */
const INDEX_FIELDS = 3;
/** Bytes reserved per span of a batch when its buffer is allocated (a server span is about 430). */
const BYTES_PER_SPAN = 512;
/** At most one "queue full" or "thread stopped" line per this interval. */
const LOG_INTERVAL_MS = 60_000;

/**
 * The span processor of the encoded path: when a sampled span ends, it is encoded at once to its OTLP
 * `Span` message, appended to the batch being filled (a buffer outside the V8 heap), and forgotten, so
 * that ended spans die young instead of waiting on the heap for their batch. Full batches, and the
 * batch under way every `scheduledDelayMillis`, go to the export thread.
 *
 * Bounded in spans and in bytes: beyond either, a span is dropped, counted in
 * `otel_sdk_spans_dropped_total`, and the log says so (once, then at most once a minute while it lasts).
 * It never blocks.
 */
export class EncodedSpanProcessor implements SpanProcessor {
  private readonly encoder = new OtlpSpanEncoder();
  private writer: ProtobufWriter;
  private index: Uint32Array;
  private count = 0;
  private timer: NodeJS.Timeout | null = null;
  private inFlightBytes = 0;
  private readonly inFlight = new Set<Promise<WorkerExportResult>>();
  private readonly scopeIds = new Map<object, number>();
  private resource: ReadableSpan['resource'] | null = null;
  private resourceReady: Promise<void> | null = null;
  private lastFullLogAt = -Infinity;
  private lastCrashLogAt = -Infinity;
  private full = false;
  private shutDown = false;

  constructor(
    private readonly exporter: WorkerSpanExporter,
    private readonly stats: SpanExportStats,
    private readonly reporter: ExportFailureReporter,
    private readonly log: () => ExportLogger,
    private readonly options: EncodedSpanProcessorOptions,
  ) {
    this.writer = new ProtobufWriter(options.maxExportBatchSize * BYTES_PER_SPAN);
    this.index = new Uint32Array(options.maxExportBatchSize * INDEX_FIELDS);
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & 1) === 0 || this.shutDown) return;
    this.resource ??= span.resource;
    this.append(span, span.instrumentationScope);
  }

  /**
   * The owned path's entry: one of the module's own spans (`ObservabilitySpan`) that ended, under the
   * tracer's scope. `resource` is the provider's (given once).
   */
  onEndOwn(span: ObservabilitySpan, scope: ReadableSpan['instrumentationScope'], resource: ReadableSpan['resource']): void {
    if ((span.spanContext().traceFlags & 1) === 0 || this.shutDown) return;
    this.resource ??= resource;
    this.append(span, scope);
  }

  private append(span: ReadableSpan | ObservabilitySpan, instrumentationScope: ReadableSpan['instrumentationScope']): void {
    const stats = this.stats;
    stats.ended++;
    if (stats.pending > this.options.maxQueueSize || this.inFlightBytes + this.writer.pos >= this.options.maxQueueBytes) {
      stats.dropped++;
      this.queueFull();
      return;
    }
    this.full = false;
    if (!this.exporter.running) this.exporter.warm();
    const scope = this.scopeId(instrumentationScope);
    const w = this.writer;
    const start = w.pos;
    try {
      if (span instanceof ObservabilitySpan) this.encoder.ownSpan(w, span);
      else this.encoder.span(w, span);
    } catch (error) {
      // Not expected (the attributes were validated); a span that cannot be encoded is lost, and said.
      w.pos = start;
      stats.dropped++;
      this.log().warn(`A span could not be encoded to OTLP and is dropped: ${String(error)}`);
      return;
    }
    const at = this.count++ * INDEX_FIELDS;
    this.index[at] = scope;
    this.index[at + 1] = start;
    this.index[at + 2] = w.pos - start;
    if (this.count >= this.options.maxExportBatchSize) this.ship();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.ship(), this.options.scheduledDelayMillis);
      this.timer.unref();
    }
  }

  /** Sends the batch under way and waits for every batch in flight; rejects with the first failure. Then ends the thread. */
  async forceFlush(): Promise<void> {
    this.ship();
    const results = await Promise.all([...this.inFlight]);
    await this.exporter.stop();
    const failed = results.find((r) => !r.ok && !r.crashed);
    if (failed) throw failed.error;
  }

  async shutdown(): Promise<void> {
    if (this.shutDown) return;
    try {
      await this.forceFlush();
    } finally {
      this.shutDown = true;
      await this.exporter.stop();
    }
  }

  private scopeId(scope: ReadableSpan['instrumentationScope']): number {
    let id = this.scopeIds.get(scope);
    if (id === undefined) {
      id = this.scopeIds.size;
      this.scopeIds.set(scope, id);
      this.exporter.addScope(id, this.encoder.scope(scope));
    }
    return id;
  }

  /** Hands the batch under way to the export thread. */
  private ship(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const count = this.count;
    if (count === 0) return;
    const bytes = this.writer.pos;
    const spare = this.exporter.takeSpare();
    const buffer = this.writer.take(this.options.maxExportBatchSize * BYTES_PER_SPAN, spare?.buffer);
    const index = this.index;
    this.index = spare && spare.index.length >= index.length ? spare.index : new Uint32Array(index.length);
    this.count = 0;
    this.inFlightBytes += bytes;
    const done = this.send(buffer, index, count)
      // Never an unhandled rejection: a batch that could not even be handed over failed, and is counted so.
      .catch((error: unknown): WorkerExportResult => ({ ok: false, error: error instanceof Error ? error : new Error(String(error)) }))
      .then((result) => {
      this.inFlightBytes -= bytes;
      this.inFlight.delete(done);
      this.account(result, count);
      return result;
    });
    this.inFlight.add(done);
  }

  private async send(buffer: Buffer, index: Uint32Array, count: number): Promise<WorkerExportResult> {
    if (!this.exporter.hasResource) {
      // Resource detectors may still be running (host.id): the SDK's batch processor waits for them too.
      this.resourceReady ??= Promise.resolve(this.resource?.asyncAttributesPending ? this.resource.waitForAsyncAttributes?.() : undefined).then(() => {
        this.exporter.setResource(this.encoder.resource(this.resource ?? {}));
      });
      await this.resourceReady;
    }
    return this.exporter.send(buffer, index, count);
  }

  private account(result: WorkerExportResult, count: number): void {
    if (result.ok) {
      this.stats.exported += count;
      this.reporter.success();
    } else if (result.crashed) {
      this.stats.dropped += count;
      const now = Date.now();
      if (now - this.lastCrashLogAt < LOG_INTERVAL_MS) return;
      this.lastCrashLogAt = now;
      this.log().warn(`${count} span(s) were lost with the span export thread (${result.error?.message ?? 'it stopped'}); they are counted in otel_sdk_spans_dropped_total.`);
    } else {
      this.stats.failed += count;
      this.reporter.failure(result.error, count);
    }
  }

  private queueFull(): void {
    if (this.full) return;
    this.full = true;
    const now = Date.now();
    if (now - this.lastFullLogAt < LOG_INTERVAL_MS) return;
    this.lastFullLogAt = now;
    this.log().warn(
      `The span export queue is full (${this.stats.pending} spans, ${this.inFlightBytes + this.writer.pos} bytes waiting; ` +
        `at most ${this.options.maxQueueSize} spans, ${this.options.maxQueueBytes} bytes): new spans are dropped and counted in otel_sdk_spans_dropped_total until it drains.`,
    );
  }
}
