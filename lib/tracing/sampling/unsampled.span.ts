import type { Attributes, Context, Exception, Link, Span, SpanContext, SpanStatus, TimeInput } from '@opentelemetry/api';
import { createContextKey, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { randomSpanId, traceIdWithAccumulation } from './trace-ids';

/** The key under which the API keeps the active span (`trace.getSpan()` reads it). */
const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');

/**
 * The span of a request that the fast path decided not to sample: not recording, like the SDK's
 * non-recording span, but its ids are made only when something asks for them (an outgoing call that
 * propagates `traceparent` with flags `00`, a log line with `trace_id`). Under a remote parent it keeps
 * the parent's trace id and trace state; a new trace gets an id whose ratio-sampler accumulation is the
 * one the decision was taken on, so OpenTelemetry's sampler would decide the same on it.
 *
 * It is also the request's context (`parentContext` with this span set): one object per request instead
 * of a span plus a context, since this is what every unsampled request pays.
 */
export class UnsampledSpan implements Span, Context {
  private context: UnsampledSpanContext | undefined;

  constructor(
    private readonly accumulation: number,
    private readonly parent?: SpanContext,
    private readonly parentContext: Context = ROOT_CONTEXT,
  ) {}

  // Context: this span under SPAN_KEY, the parent context's values otherwise.

  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this : this.parentContext.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return trace.setSpan(this.parentContext, this).setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return trace.setSpan(this.parentContext, this).deleteValue(key);
  }

  /**
   * The request is over (see `RequestContext`): drop the cached span context if nothing read its ids,
   * so that what a timer made during the request keeps is this object alone. Ids already read stay.
   */
  release(): void {
    if (this.context !== undefined && !this.context.idsMade()) this.context = undefined;
  }

  // Span

  /**
   * The span's context, made once. Its `traceFlags` (what exemplars, `@Timed()` and `@Traced()` look at)
   * costs nothing; the ids are made on first read of `traceId` or `spanId`.
   */
  spanContext(): SpanContext {
    return (this.context ??= new UnsampledSpanContext(this.accumulation, this.parent));
  }

  isRecording(): boolean {
    return false;
  }

  setAttribute(_key: string, _value: unknown): this {
    return this;
  }

  setAttributes(_attributes: Attributes): this {
    return this;
  }

  addEvent(_name: string, _attributesOrStartTime?: Attributes | TimeInput, _startTime?: TimeInput): this {
    return this;
  }

  addLink(_link: Link): this {
    return this;
  }

  addLinks(_links: Link[]): this {
    return this;
  }

  setStatus(_status: SpanStatus): this {
    return this;
  }

  updateName(_name: string): this {
    return this;
  }

  end(_endTime?: TimeInput): void {}

  recordException(_exception: Exception, _time?: TimeInput): void {}
}

/**
 * The `SpanContext` of an `UnsampledSpan`: flags 00, the parent's trace state, and ids made on first
 * read (then kept). Metrics ask every request's span context for its flags (exemplars are for sampled
 * requests only): making two random ids for each unsampled request that nothing propagates nor logs
 * cost more than the rest of the request's tracing.
 */
class UnsampledSpanContext implements SpanContext {
  readonly traceFlags = TraceFlags.NONE;
  readonly traceState: SpanContext['traceState'];
  private madeTraceId: string | undefined;
  private madeSpanId: string | undefined;

  constructor(
    private readonly accumulation: number,
    private readonly parent: SpanContext | undefined,
  ) {
    this.traceState = parent?.traceState;
  }

  get traceId(): string {
    return (this.madeTraceId ??= this.parent === undefined ? traceIdWithAccumulation(this.accumulation) : this.parent.traceId);
  }

  /** Whether `traceId` or `spanId` was read (then they must stay what was read). */
  idsMade(): boolean {
    return this.madeTraceId !== undefined || this.madeSpanId !== undefined;
  }

  get spanId(): string {
    return (this.madeSpanId ??= randomSpanId());
  }

  /** What `JSON.stringify()` and loggers that serialize it see: the fields of a plain span context. */
  toJSON(): SpanContext {
    return { traceId: this.traceId, spanId: this.spanId, traceFlags: this.traceFlags, ...(this.traceState !== undefined ? { traceState: this.traceState } : {}) };
  }
}
