import { Inject, Injectable } from '@nestjs/common';
import { Attributes, context, propagation, Span, SpanKind, trace, Tracer } from '@opentelemetry/api';
import { OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { InstrumentationSpec, InvocationListener, MethodInstrumenter } from '../instrumentation/instrumentation-spec.interface';
import { createSpanListener, recordException, SpanState } from './span-listener';
import { UNTRUSTED_SAMPLED_FLAG } from './sampling/observability.sampler';
import { isRpcContext, RpcContextForwarder } from '../messaging/rpc-context.forwarder';
import { CARRIER_GETTER, contextSystem, destinationOfContext, incomingCarrier, messageIdOfContext } from '../messaging/messaging-transport';

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
  /** `messaging.eventContext`: whether an event's handler links to the publish (default) or continues its trace. */
  private readonly linkEvents: boolean;

  constructor(
    @Inject(OBSERVABILITY_TRACER) private readonly tracer: Tracer,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions,
  ) {
    this.trustIncoming = options.tracing.trustIncomingSampling;
    this.linkEvents = options.messaging.eventContext === 'link';
    this.kinds = [...(options.tracing.routeHandlers ? ['route'] : []), ...(options.tracing.rpc ? ['rpc'] : [])];
  }

  createListener(spec: InstrumentationSpec, instance: object): InvocationListener<any> {
    const names: Attributes = { 'nest.controller': spec.className, 'nest.handler': spec.methodName };
    if (spec.kind === 'route') return routeListener(names);
    const forwarder = RpcContextForwarder.of((instance as Record<string, unknown>)[spec.methodName]);
    return this.rpcListener(spec, names, (args) => (forwarder ? forwarder.rpcContext(args) : args.find(isRpcContext)));
  }

  private rpcListener(spec: InstrumentationSpec, names: Attributes, rpcContextOf: (args: unknown[]) => unknown): InvocationListener<SpanState> {
    const tracer = this.tracer;
    const trustIncoming = this.trustIncoming;
    const event = (spec.options as { event?: boolean }).event === true && this.linkEvents;
    const patterns = ((spec.options as { patterns?: unknown[] }).patterns ?? []).map((p) => (typeof p === 'string' ? p : JSON.stringify(p)));
    const name = patterns.length > 0 ? patterns.join(', ') : `${spec.className}.${spec.methodName}`;
    const attributes: Attributes = { ...names, 'rpc.system': 'nestjs', 'rpc.service': spec.className, 'rpc.method': spec.methodName, 'nest.pattern': name };
    return {
      ...createSpanListener(tracer, name),
      start(_thisArg, args) {
        const rpcContext = rpcContextOf(args);
        // Transports with headers (NATS, Kafka, RabbitMQ, gRPC…) carry a traceparent, Redis its packet metadata.
        const carrier = incomingCarrier(rpcContext);
        const active = context.active();
        let remote = active;
        if (carrier && trace.getSpan(active) === undefined) {
          remote = propagation.extract(active, carrier, CARRIER_GETTER);
          // The SDK's sampler (ObservabilitySampler) applies the ratio to an untrusted sampled parent.
          if (!trustIncoming) remote = remote.setValue(UNTRUSTED_SAMPLED_FLAG, true);
        }
        const system = contextSystem(rpcContext);
        if (system === null) {
          const span = tracer.startSpan(name, { kind: SpanKind.SERVER, attributes }, remote);
          return { span, context: trace.setSpan(remote, span) };
        }
        // A broker message (OpenTelemetry messaging conventions): a CONSUMER span `process <destination>`,
        // child of the send for request/response, linked to the publish for an event (or its child, messaging.eventContext).
        const destination = destinationOfContext(rpcContext) ?? name;
        const messaging: Attributes = {
          ...attributes,
          'messaging.system': system,
          'messaging.destination.name': destination,
          'messaging.operation.type': 'process',
          'messaging.operation.name': 'process',
        };
        const messageId = messageIdOfContext(rpcContext);
        if (messageId !== undefined) messaging['messaging.message.id'] = messageId;
        const producer = remote === active ? undefined : trace.getSpanContext(remote);
        const parent = event && producer !== undefined ? active : remote;
        const links = event && producer !== undefined ? [{ context: producer }] : undefined;
        const span = tracer.startSpan(`process ${destination}`, { kind: SpanKind.CONSUMER, attributes: messaging, links }, parent);
        return { span, context: trace.setSpan(parent, span) };
      },
    };
  }
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
