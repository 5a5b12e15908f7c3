/**
 * What happened to the sampled spans of one SDK: counted by `CountingSpanProcessor` and exposed by the
 * module as metrics, so that no span is dropped silently.
 */
export class SpanExportStats {
  /** Sampled spans that ended. */
  ended = 0;
  /** Spans the exporter confirmed. */
  exported = 0;
  /** Spans whose export failed (refused, timed out, rejected). */
  failed = 0;
  /** Spans dropped because the queue was full. */
  dropped = 0;

  /** Spans ended but not yet exported, failed or dropped: the queue plus the batch in flight. */
  get pending(): number {
    return this.ended - this.exported - this.failed - this.dropped;
  }
}
