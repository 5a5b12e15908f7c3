import type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** The span tree node `TestSpans.tree()` returns. */
export interface SpanNode {
  span: ReadableSpan;
  children: SpanNode[];
}

/**
 * The spans an `ObservabilityTestingModule` collected in memory, with small helpers for assertions.
 *
 * @example
 * const spans = app.get(TestSpans);
 * await request(app.getHttpServer()).get('/orders/1');
 * expect(spans.byName('GET /orders/:id')?.attributes['http.route']).toBe('/orders/:id');
 */
export class TestSpans {
  constructor(
    private readonly exporter: { getFinishedSpans(): ReadableSpan[]; reset(): void },
    /** The isolated TracerProvider the module traces with. */
    readonly provider: { forceFlush(): Promise<void>; shutdown(): Promise<void> },
  ) {}

  /** Every finished span, in the order they ended. */
  all(): ReadableSpan[] {
    return this.exporter.getFinishedSpans();
  }

  /** The first finished span with this name. */
  byName(name: string): ReadableSpan | undefined {
    return this.all().find((s) => s.name === name);
  }

  /** Finished spans of one trace. */
  ofTrace(traceId: string): ReadableSpan[] {
    return this.all().filter((s) => s.spanContext().traceId === traceId);
  }

  /** The parent span id of a span ('' for a root). */
  parentId(span: ReadableSpan): string {
    return span.parentSpanContext?.spanId ?? '';
  }

  /** Finished spans arranged as trees (roots are spans whose parent is not among them). */
  tree(spans: ReadableSpan[] = this.all()): SpanNode[] {
    const nodes = new Map(spans.map((span) => [span.spanContext().spanId, { span, children: [] as SpanNode[] }]));
    const roots: SpanNode[] = [];
    for (const node of nodes.values()) {
      const parent = nodes.get(this.parentId(node.span));
      (parent ? parent.children : roots).push(node);
    }
    return roots;
  }

  /** Waits until at least `count` spans have finished (a server span ends after the response is sent). */
  async waitFor(count: number, timeoutMs = 2000): Promise<ReadableSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.all().length < count) {
      if (Date.now() > deadline) throw new Error(`Expected ${count} finished spans, got ${this.all().length}: ${this.all().map((s) => s.name).join(', ')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.all();
  }

  /** Forgets every collected span. */
  reset(): void {
    this.exporter.reset();
  }
}
