import { Attributes, context, Context, Span, SpanKind, SpanStatusCode, trace, TraceFlags, Tracer } from '@opentelemetry/api';
import { InvocationListener } from '../instrumentation/instrumentation-spec.interface';
import { UnsampledSpan } from './sampling/unsampled.span';

/** What a span listener keeps between start and end; `null` when no span was created. */
export type SpanState = { span: Span; context: Context } | null;

/** Options of `createSpanListener`. */
export interface SpanListenerOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  argsToAttributes?: (...args: any[]) => Attributes;
}

/**
 * The listener behind `@Traced()` and `TracingService.startActiveSpan()`: starts a child of the active
 * span, runs the body (and each Observable subscription) with it active, records an error and
 * ends the span when the call really ends. Under a parent that is not sampled it creates nothing:
 * the parent's context already says "not sampled" to everything below it.
 */
export function createSpanListener(tracer: Tracer, name: string, options: SpanListenerOptions = {}): InvocationListener<SpanState> {
  const spanOptions = { kind: options.kind ?? SpanKind.INTERNAL, attributes: options.attributes };
  const deriveAttributes = options.argsToAttributes;
  return {
    start(_thisArg, args) {
      const parentContext = context.active();
      const parent = trace.getSpan(parentContext);
      // The request fast path's span: not sampled, and asking for its ids would make them.
      if (parent instanceof UnsampledSpan) return null;
      // A parent that is not sampled says so for everything below it. (A remote parent from an
      // incoming traceparent is not recording here but may well be sampled: look at its flags.)
      if (parent !== undefined && (parent.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return null;
      const span = tracer.startSpan(name, spanOptions, parentContext);
      if (deriveAttributes && span.isRecording()) {
        try {
          span.setAttributes(deriveAttributes(...args));
        } catch {
          // A faulty attribute function must not fail the traced call.
        }
      }
      return { span, context: trace.setSpan(parentContext, span) };
    },
    run(state, body) {
      return state === null ? body() : context.with(state.context, body);
    },
    end(state, error, failed) {
      if (state === null) return;
      if (failed) recordError(state.span, error);
      state.span.end();
    },
    cancel(state) {
      if (state === null) return;
      state.span.setAttribute('observability.cancelled', true);
      state.span.end();
    },
  };
}

/** Records an error on a span the OpenTelemetry way: an `exception` event and status ERROR. */
export function recordError(span: Span, error: unknown): void {
  recordException(span, error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
}

/**
 * Adds the `exception` event. `exception.type` is the error's class (`InventoryError`), where
 * OpenTelemetry would write the inherited `name` (`Error`) of a subclass that does not set one.
 */
export function recordException(span: Span, error: unknown): void {
  if (!(error instanceof Error)) {
    span.recordException(String(error));
    return;
  }
  const name = error.name && error.name !== 'Error' ? error.name : error.constructor?.name || 'Error';
  span.recordException({ name, message: error.message, stack: error.stack });
}
