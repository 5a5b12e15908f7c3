import type { Context, Span } from '@opentelemetry/api';
import { createContextKey, trace } from '@opentelemetry/api';

/** The key under which the API keeps the active span (`trace.getSpan()` reads it). */
const SPAN_KEY = createContextKey('OpenTelemetry Context Key SPAN');

/**
 * The context a sampled request runs in: `parent` with the request's span set, as `trace.setSpan()`
 * would make it, in one small object instead of a context and a copied `Map`.
 *
 * Why it exists: Node 24 keeps the `AsyncLocalStorage` frame of every timer and promise created inside
 * the request (the keep-alive socket's `Timeout`, for one) until that timer is rescheduled, and V8
 * promotes whatever the frame reaches. `release()`, called when the response closes, swaps the span for a
 * non-recording one that holds only flat copies of its ids: what such a timer keeps is then a few dozen
 * bytes, not the ended span and its attributes. A span started after the response (a background timer)
 * still gets the request's span as parent, with the same ids and flags.
 *
 * `setValue()` and `deleteValue()` return a new context, as the API requires, and never change this one.
 */
export class RequestContext implements Context {
  constructor(
    private readonly parent: Context,
    private span: Span,
  ) {}

  getValue(key: symbol): unknown {
    return key === SPAN_KEY ? this.span : this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return trace.setSpan(this.parent, this.span).setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return trace.setSpan(this.parent, this.span).deleteValue(key);
  }

  /** The request is over: keep only the span's ids (flat strings, not the id generator's concatenations). */
  release(): void {
    const { traceId, spanId, traceFlags, traceState, isRemote } = this.span.spanContext();
    // toLowerCase() of a lowercase hex id makes one flat string; the original is a tree of ConsStrings.
    this.span = trace.wrapSpanContext({ traceId: traceId.toLowerCase(), spanId: spanId.toLowerCase(), traceFlags, traceState, ...(isRemote !== undefined ? { isRemote } : {}) });
  }
}
