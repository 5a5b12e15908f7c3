import type { Context, Span, SpanContext } from '@opentelemetry/api';
import { createContextKey, trace } from '@opentelemetry/api';

/** The key under which the API keeps the active span (`trace.getSpan()` reads it). */
const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');

/**
 * The context a sampled request runs in: `parent` with the request's span set, as `trace.setSpan()`
 * would make it, in one small object instead of a context and a copied `Map`.
 *
 * Why it exists: Node 24 keeps the `AsyncLocalStorage` frame of every timer and promise created inside
 * the request (the keep-alive socket's `Timeout`, for one) until that timer is rescheduled, and V8
 * promotes whatever the frame reaches. `release()`, called when the response closes, lets the span go and
 * keeps only its ids, in fields of this object: what such a timer keeps is then this one object and two
 * flat strings, not the ended span and its attributes. A read of the span after that (a span started by
 * a background timer, as its parent) gets a non-recording span with the same ids and flags, made then.
 *
 * `setValue()` and `deleteValue()` return a new context, as the API requires, and never change this one.
 */
export class RequestContext implements Context {
  // The span's ids once it is released (fields set in the constructor: one hidden class throughout).
  private traceId = '';
  private spanId = '';
  private traceFlags = 0;
  private traceState: SpanContext['traceState'] = undefined;
  private isRemote: boolean | undefined = undefined;

  constructor(
    private readonly parent: Context,
    private span: Span | undefined,
  ) {}

  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.currentSpan() : this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return trace.setSpan(this.parent, this.currentSpan()).setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return trace.setSpan(this.parent, this.currentSpan()).deleteValue(key);
  }

  /** The request is over: keep only the span's ids (flat strings, not the id generator's concatenations). */
  release(): void {
    if (this.span === undefined) return;
    const { traceId, spanId, traceFlags, traceState, isRemote } = this.span.spanContext();
    // toLowerCase() of a lowercase hex id is a flat string, whatever the original is (a slice of the traceparent header, say).
    this.traceId = traceId.toLowerCase();
    this.spanId = spanId.toLowerCase();
    this.traceFlags = traceFlags;
    this.traceState = traceState;
    this.isRemote = isRemote;
    this.span = undefined;
  }

  /** The request's span, or after `release()` a non-recording one with its ids, made once when first asked for. */
  private currentSpan(): Span {
    return (this.span ??= trace.wrapSpanContext({
      traceId: this.traceId,
      spanId: this.spanId,
      traceFlags: this.traceFlags,
      traceState: this.traceState,
      ...(this.isRemote !== undefined ? { isRemote: this.isRemote } : {}),
    }));
  }
}
