import { Inject, Injectable } from '@nestjs/common';
import { Attributes, context, Span, SpanKind, trace, Tracer } from '@opentelemetry/api';
import { OBSERVABILITY_TRACER } from '../observability.constants';
import { invokeInstrumented } from '../instrumentation/invoke-instrumented';
import { baggageEntries, baggageEntry, withBaggageEntries } from './baggage-entries';
import { createSpanListener } from './span-listener';

/**
 * Options of `TracingService.startActiveSpan()`.
 *
 * @example
 * { kind: SpanKind.CLIENT, attributes: { 'peer.service': 'payments' } }
 */
export interface ActiveSpanOptions {
  /**
   * Span kind.
   * @default SpanKind.INTERNAL
   */
  kind?: SpanKind;
  /**
   * Attributes set when the span starts.
   * @default {}
   */
  attributes?: Attributes;
}

/**
 * Manual tracing work through DI, with the same tracer as `@Traced()`.
 *
 * @example
 * constructor(private readonly tracing: TracingService) {}
 *
 * async import(file: string) {
 *   this.tracing.setAttributes({ 'import.file': file });
 *   return this.tracing.startActiveSpan('parse file', () => this.parse(file));
 * }
 */
@Injectable()
export class TracingService {
  constructor(@Inject(OBSERVABILITY_TRACER) readonly tracer: Tracer) {}

  /** The active span, if any. */
  getActiveSpan(): Span | undefined {
    return trace.getSpan(context.active());
  }

  /** The active trace id (32 hex digits), if any. */
  getTraceId(): string | undefined {
    return this.getActiveSpan()?.spanContext().traceId;
  }

  /** The active span id (16 hex digits), if any. */
  getSpanId(): string | undefined {
    return this.getActiveSpan()?.spanContext().spanId;
  }

  /** Adds attributes to the active span; does nothing outside a span. */
  setAttributes(attributes: Attributes): void {
    this.getActiveSpan()?.setAttributes(attributes);
  }

  /** Adds an event to the active span; does nothing outside a span. */
  addEvent(name: string, attributes?: Attributes): void {
    this.getActiveSpan()?.addEvent(name, attributes);
  }

  /**
   * One entry of the active W3C baggage (an HTTP request's `baggage` header, what `withBaggage()` added),
   * or `undefined`. The values come from the caller: treat them as untrusted input.
   */
  getBaggage(key: string): string | undefined {
    return baggageEntry(context.active(), key);
  }

  /** Every entry of the active W3C baggage, as name to value. */
  getAllBaggage(): Record<string, string> {
    return baggageEntries(context.active());
  }

  /**
   * Runs `fn` with `entries` added to the active baggage. Outgoing `http`/`fetch()` calls made inside
   * (also after an `await`) send them in their `baggage` header (`tracing.propagateOutgoing`), and
   * `@Baggage()`/`getBaggage()` read them. What `fn` returns is returned unchanged.
   *
   * @example
   * return this.tracing.withBaggage({ 'tenant.id': tenant }, () => this.billing.charge(order));
   */
  withBaggage<T>(entries: Record<string, string>, fn: () => T): T {
    return context.with(withBaggageEntries(context.active(), entries), fn);
  }

  /**
   * Runs `fn` inside a new child span of the active span. A returned Promise or Observable keeps the
   * span open until it settles or completes; a thrown or rejected error is recorded and rethrown unchanged.
   */
  startActiveSpan<T>(name: string, fn: () => T, options: ActiveSpanOptions = {}): T {
    return invokeInstrumented(() => fn(), undefined, [], createSpanListener(this.tracer, name, options)) as T;
  }
}
