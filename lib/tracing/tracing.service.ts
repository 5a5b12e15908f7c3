import { Inject, Injectable } from '@nestjs/common';
import { Attributes, context, Span, SpanKind, trace, Tracer } from '@opentelemetry/api';
import { OBSERVABILITY_TRACER } from '../observability.constants';
import { invokeInstrumented } from '../instrumentation/invoke-instrumented';
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
   * Runs `fn` inside a new child span of the active span. A returned Promise or Observable keeps the
   * span open until it settles or completes; a thrown or rejected error is recorded and rethrown unchanged.
   */
  startActiveSpan<T>(name: string, fn: () => T, options: ActiveSpanOptions = {}): T {
    return invokeInstrumented(() => fn(), undefined, [], createSpanListener(this.tracer, name, options)) as T;
  }
}
