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
  private context: SpanContext | undefined;

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

  // Span

  spanContext(): SpanContext {
    if (this.context === undefined) {
      const parent = this.parent;
      this.context = {
        traceId: parent === undefined ? traceIdWithAccumulation(this.accumulation) : parent.traceId,
        spanId: randomSpanId(),
        traceFlags: TraceFlags.NONE,
        ...(parent?.traceState !== undefined ? { traceState: parent.traceState } : {}),
      };
    }
    return this.context;
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
