import { Inject, Injectable } from '@nestjs/common';
import { Attributes, context, propagation, Span, SpanKind, TextMapGetter, trace, Tracer } from '@opentelemetry/api';
import { OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { InstrumentationSpec, InvocationListener, MethodInstrumenter } from '../instrumentation/instrumentation-spec.interface';
import { createSpanListener, recordException, SpanState } from './span-listener';
import { UNTRUSTED_SAMPLED_FLAG } from './sampling/observability.sampler';

/**
 * Listeners for the handlers `HandlerTracingInstaller` prepared:
 * - `route` (HTTP): puts `nest.controller` / `nest.handler` on the request's server span and records
 *   an exception the handler throws there. The span itself belongs to the adapter-level hook.
 * - `rpc` (microservices): creates the server span of the message, named after its pattern, continuing
 *   a `traceparent` that the transport's headers carry.
 */
@Injectable()
export class HandlerTracingInstrumenter implements MethodInstrumenter {
  /**
   * The kinds this app wants. A handler class may carry a dispatcher for a kind that another app in
   * the process asked for; this app leaves it running the original.
   */
  readonly kinds: readonly string[];
  // Outermost: it must see the server span, not a @Traced span on the same handler.
  readonly order = 200;
  private readonly trustIncoming: boolean;

  constructor(
    @Inject(OBSERVABILITY_TRACER) private readonly tracer: Tracer,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions,
  ) {
    this.trustIncoming = options.tracing.trustIncomingSampling;
    this.kinds = [...(options.tracing.routeHandlers ? ['route'] : []), ...(options.tracing.rpc ? ['rpc'] : [])];
  }

  createListener(spec: InstrumentationSpec): InvocationListener<any> {
    const names: Attributes = { 'nest.controller': spec.className, 'nest.handler': spec.methodName };
    return spec.kind === 'route' ? routeListener(names) : this.rpcListener(spec, names);
  }

  private rpcListener(spec: InstrumentationSpec, names: Attributes): InvocationListener<SpanState> {
    const tracer = this.tracer;
    const trustIncoming = this.trustIncoming;
    const patterns = ((spec.options as { patterns?: unknown[] }).patterns ?? []).map((p) => (typeof p === 'string' ? p : JSON.stringify(p)));
    const name = patterns.length > 0 ? patterns.join(', ') : `${spec.className}.${spec.methodName}`;
    const attributes: Attributes = { ...names, 'rpc.system': 'nestjs', 'rpc.service': spec.className, 'rpc.method': spec.methodName, 'nest.pattern': name };
    return {
      ...createSpanListener(tracer, name),
      start(_thisArg, args) {
        // Transports with headers (NATS, Kafka, RabbitMQ, gRPC…) carry a traceparent; continue it.
        const carrier = headersOf(args.find(isRpcContext));
        const active = context.active();
        let parentContext = active;
        if (carrier && trace.getSpan(active) === undefined) {
          parentContext = propagation.extract(active, carrier, HEADER_GETTER);
          // The SDK's sampler (ObservabilitySampler) applies the ratio to an untrusted sampled parent.
          if (!trustIncoming) parentContext = parentContext.setValue(UNTRUSTED_SAMPLED_FLAG, true);
        }
        const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, parentContext);
        return { span, context: trace.setSpan(parentContext, span) };
      },
    };
  }
}

/** Reads plain header objects, Buffers and Map-like headers (NATS). */
const HEADER_GETTER: TextMapGetter<any> = {
  keys: (carrier) => (typeof carrier.keys === 'function' ? [...carrier.keys()] : Object.keys(carrier)),
  get: (carrier, key) => {
    const value = typeof carrier.get === 'function' ? carrier.get(key) : carrier[key];
    return Buffer.isBuffer(value) ? value.toString() : value;
  },
};

function headersOf(rpcContext: any): object | undefined {
  if (!rpcContext) return undefined;
  const headers = rpcContext.getHeaders?.() ?? rpcContext.getMessage?.()?.headers ?? rpcContext.getMessage?.()?.properties?.headers;
  return typeof headers === 'object' && headers !== null ? headers : undefined;
}

function routeListener(names: Attributes): InvocationListener<Span | null> {
  return {
    start() {
      const span = trace.getSpan(context.active());
      if (span === undefined || !span.isRecording()) return null;
      span.setAttributes(names);
      return span;
    },
    end(span, error, failed) {
      // The status is set from the final HTTP status by the hook: a 404 thrown here is no span error.
      if (span !== null && failed) recordException(span, error);
    },
  };
}

function isRpcContext(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { getArgs?: unknown }).getArgs === 'function';
}
