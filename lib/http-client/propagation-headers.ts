import { Context, propagation } from '@opentelemetry/api';
import { HttpClientRequest, UndiciRequest, undiciHasHeader } from '../tracing/outgoing-propagation.subscriber';

const TRACEPARENT_LINE = /(^|[\r\n])traceparent:/i;

/**
 * Whether an undici request carries a `traceparent` already, read without allocating: undici keeps
 * headers as `[name, value, …]` (or as raw text in old versions).
 */
export function undiciHasTraceparent(headers: UndiciRequest['headers'] | undefined): boolean {
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      if (typeof name === 'string' ? name.length === 11 && name.toLowerCase() === 'traceparent' : String(name).toLowerCase() === 'traceparent') return true;
    }
    return false;
  }
  return typeof headers === 'string' && TRACEPARENT_LINE.test(headers);
}

/**
 * The propagation headers of the outgoing calls of one subscriber. The global propagator's output is a
 * function of the context alone, and contexts are immutable, so the headers of the last context are
 * kept: the calls of one request (or one job) that are not sampled share its context, and build their
 * `traceparent` once. A sampled call has a context of its own (its span's) and builds its own.
 */
export class PropagationHeaders {
  private lastContext: Context | undefined;
  private lastHeaders: Record<string, string> = {};

  /** `traceparent` (and `tracestate`, `baggage`, or whatever the propagator writes) for `spanContext`. */
  of(spanContext: Context): Readonly<Record<string, string>> {
    if (spanContext !== this.lastContext) {
      const carrier: Record<string, string> = {};
      propagation.inject(spanContext, carrier);
      this.lastContext = spanContext;
      this.lastHeaders = carrier;
    }
    return this.lastHeaders;
  }

  /**
   * Adds the headers to an undici request, leaving those already set alone. `hasTraceparent`: what
   * `undiciHasTraceparent()` said of it, so its headers are not scanned again for the one header every
   * call gets; a propagator's other headers are checked one by one.
   */
  injectIntoUndici(spanContext: Context, request: UndiciRequest, hasTraceparent: boolean): void {
    const headers = this.of(spanContext);
    for (const name in headers) {
      if (name === 'traceparent' ? !hasTraceparent : !undiciHasHeader(request, name)) request.addHeader(name, headers[name]);
    }
  }

  /** Adds the headers to a `ClientRequest`, leaving those already set alone. */
  injectIntoHttp(spanContext: Context, request: HttpClientRequest): void {
    const headers = this.of(spanContext);
    for (const name in headers) if (request.getHeader(name) === undefined) request.setHeader(name, headers[name]);
  }

  /** Lets go of the last context (at shutdown). */
  clear(): void {
    this.lastContext = undefined;
    this.lastHeaders = {};
  }
}
