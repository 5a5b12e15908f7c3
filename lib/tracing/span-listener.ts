import { Attributes, context, Context, Span, SpanKind, SpanStatusCode, trace, TraceFlags, Tracer } from '@opentelemetry/api';
import { InvocationListener } from '../instrumentation/instrumentation-spec.interface';
import { redactSecrets } from '../redaction/secret-redaction';
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
      try {
        if (failed) recordError(state.span, error);
      } finally {
        state.span.end();
      }
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
  if (!isRecording(span)) return;
  const thrown = describeThrown(error);
  recordThrown(span, thrown);
  try {
    span.setStatus({ code: SpanStatusCode.ERROR, message: thrown.message });
  } catch {
    // A span implementation that throws must not keep the span open.
  }
}

/**
 * Adds the `exception` event. `exception.type` is the error's class (`InventoryError`), where
 * OpenTelemetry would write the inherited `name` (`Error`) of a subclass that does not set one.
 * Its message and stack lose their credentials (a database error quoting its connection string), and
 * a thrown value that cannot be made a string (`Object.create(null)`) is described, not rethrown.
 */
export function recordException(span: Span, error: unknown): void {
  if (!isRecording(span)) return;
  recordThrown(span, describeThrown(error));
}

/** What an exception event says about a thrown value, credentials already removed. */
interface ThrownDescription {
  name?: string;
  message: string;
  stack?: string;
}

function recordThrown(span: Span, thrown: ThrownDescription): void {
  try {
    span.recordException(thrown.name === undefined ? thrown.message : { name: thrown.name, message: thrown.message, stack: thrown.stack });
  } catch {
    // As in recordError(): the span still ends.
  }
}

const MAX_DESCRIBED = 1000;

/** A span that records nothing (not sampled) needs no description: the redaction is skipped. */
function isRecording(span: Span): boolean {
  try {
    return span.isRecording();
  } catch {
    return true;
  }
}

/** The stack with its message redacted; the frames (`    at f (file:line)`) are kept as they are, which is cheaper. */
function redactStack(stack: string): string {
  const frames = stack.indexOf('\n    at ');
  return frames === -1 ? redactSecrets(stack) : redactSecrets(stack.slice(0, frames)) + stack.slice(frames);
}

function describeThrown(error: unknown): ThrownDescription {
  try {
    if (error instanceof Error) {
      const name = error.name && error.name !== 'Error' ? String(error.name) : error.constructor?.name || 'Error';
      const stack = typeof error.stack === 'string' ? redactStack(error.stack) : undefined;
      return { name, message: redactSecrets(printable(error.message)), stack };
    }
    if (typeof error === 'string') return { message: redactSecrets(error) };
    if (typeof error !== 'object' || error === null) return { message: printable(error) };
    return { name: typeName(error), message: redactSecrets(printable(error)) };
  } catch {
    // A Proxy whose traps throw, a getter that throws: nothing of it can be read safely.
    return { name: 'Unknown', message: '[thrown value that cannot be read]' };
  }
}

/** `String(value)`, or its JSON (a plain or null-prototype object), or `[object X]`, never a throw. */
function printable(value: unknown): string {
  let text: string | undefined;
  try {
    text = String(value);
  } catch {
    // Object.create(null), or a toString()/Symbol.toPrimitive that throws.
  }
  if ((text === undefined || text === '[object Object]') && typeof value === 'object' && value !== null) {
    try {
      text = JSON.stringify(value) ?? text;
    } catch {
      // Circular, BigInt, throwing toJSON: keep what String() said.
    }
  }
  text ??= `[object ${typeName(value)}]`;
  return text.length > MAX_DESCRIBED ? `${text.slice(0, MAX_DESCRIBED)}…` : text;
}

function typeName(value: unknown): string {
  try {
    if (typeof value !== 'object' || value === null) return typeof value;
    const constructor = Object.getPrototypeOf(value)?.constructor;
    return typeof constructor === 'function' && constructor.name ? constructor.name : 'Object';
  } catch {
    return 'Object';
  }
}
