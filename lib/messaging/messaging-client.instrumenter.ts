import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Attributes, context, propagation, Span, SpanKind, trace, Tracer } from '@opentelemetry/api';
import { Observable } from 'rxjs';
import { OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { recordError } from '../tracing/span-listener';
import { CARRIER_SETTER, clientSystem, MessagingSystem, outgoingCarrier } from './messaging-transport';
import { MessagingMetrics } from './messaging-metrics';
import { instrumentProviders } from './provider-instances';

/** Marks a client (and a serializer) this module already instruments, so a shared one is wrapped once. */
const INSTRUMENTED = Symbol.for('nestjs-observability:messaging-client');

/**
 * The producer side of the microservice transports (Redis, NATS, RabbitMQ). Every `ClientProxy` in
 * the container (`ClientsModule.register()`, a factory provider) is instrumented at module init, at
 * the instance, through two of Nest's own seams:
 * - `send()` and `emit()` run in a PRODUCER span (`send <pattern>`), which ends with the response
 *   (send) or once the event is published (emit); the Observable keeps its laziness (send is cold,
 *   emit hot) and its values and errors;
 * - the client's serializer writes the span's W3C trace context into the message: NATS headers,
 *   RabbitMQ `properties.headers`, the Redis packet's `metadata` field (Nest's out-of-band packet
 *   metadata, never the payload), and counts `messaging_client_sent_messages_total` for each
 *   message it serializes, so the count is the messages actually handed to the broker.
 * Clients created outside the container are instrumented with `instrument(client)`.
 */
@Injectable()
export class MessagingClientInstrumenter implements OnModuleInit {
  private readonly tracing: boolean;
  private readonly enabled: boolean;
  /** Spans this instrumenter opened: only those get the message id a serializer sees. */
  private readonly producerSpans = new WeakSet<Span>();

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(OBSERVABILITY_TRACER) private readonly tracer: Tracer,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions,
    private readonly metrics: MessagingMetrics,
  ) {
    this.tracing = options.tracing.enabled;
    this.enabled = options.messaging.enabled && (this.tracing || metrics.enabled);
  }

  onModuleInit(): void {
    if (this.enabled) instrumentProviders(this.discovery, (instance): instance is object => clientSystem(instance) !== null, (client) => this.instrument(client));
  }

  /**
   * Instruments a Redis, NATS or RabbitMQ `ClientProxy` made outside the container; other objects
   * and clients already instrumented are left as they are. Returns the same client.
   *
   * @example
   * const client = instrumenter.instrument(ClientProxyFactory.create({ transport: Transport.NATS, options }));
   */
  instrument<T extends object>(client: T): T {
    const target = client as any;
    const system = clientSystem(client);
    if (system === null || target[INSTRUMENTED] || !this.enabled) return client;
    if (typeof target.send !== 'function' || typeof target.emit !== 'function' || typeof target.serializer?.serialize !== 'function') return client;
    Object.defineProperty(target, INSTRUMENTED, { value: true });
    this.metrics.use();
    this.wrapSerializer(target, system);
    if (this.tracing) this.wrapSend(target, system);
    return client;
  }

  private wrapSerializer(client: any, system: MessagingSystem): void {
    const serializer = client.serializer;
    if (serializer[INSTRUMENTED]) return;
    Object.defineProperty(serializer, INSTRUMENTED, { value: true });
    const serialize = serializer.serialize;
    const after = (packet: any, serialized: any): void => {
      this.metrics.countSent(system, destinationOf(client, packet?.pattern));
      const span = trace.getSpan(context.active());
      if (span === undefined || !this.producerSpans.has(span)) return;
      if (typeof packet?.id === 'string') span.setAttribute('messaging.message.id', packet.id);
      const carrier = outgoingCarrier(system, serialized);
      if (carrier !== null) propagation.inject(context.active(), carrier, CARRIER_SETTER);
    };
    serializer.serialize = function (this: unknown, packet: any, ...rest: unknown[]) {
      const serialized = serialize.call(this, packet, ...rest);
      if (typeof serialized?.then === 'function') return serialized.then((value: unknown) => (after(packet, value), value));
      after(packet, serialized);
      return serialized;
    };
  }

  private wrapSend(client: any, system: MessagingSystem): void {
    const send = client.send;
    const emit = client.emit;
    const start = (pattern: unknown, operation: 'send' | 'publish'): Span => {
      const destination = destinationOf(client, pattern);
      const attributes: Attributes = {
        'messaging.system': system,
        'messaging.destination.name': destination,
        'messaging.operation.type': 'send',
        'messaging.operation.name': operation,
      };
      const span = this.tracer.startSpan(`${operation} ${destination}`, { kind: SpanKind.PRODUCER, attributes });
      this.producerSpans.add(span);
      return span;
    };
    client.send = function (pattern: unknown, data: unknown): Observable<unknown> {
      // Cold like the original: nothing is sent, and no span opened, before someone subscribes.
      return new Observable((subscriber) => {
        const span = start(pattern, 'send');
        let open = true;
        const end = (error?: unknown): void => {
          if (!open) return;
          open = false;
          if (error !== undefined) recordError(span, error);
          span.end();
        };
        const subscription = context.with(trace.setSpan(context.active(), span), () =>
          send.call(client, pattern, data).subscribe({
            next: (value: unknown) => subscriber.next(value),
            error: (error: unknown) => {
              end(error ?? new Error('error'));
              subscriber.error(error);
            },
            complete: () => {
              end();
              subscriber.complete();
            },
          }),
        );
        return () => {
          subscription.unsubscribe();
          end();
        };
      });
    };
    client.emit = function (pattern: unknown, data: unknown): Observable<unknown> {
      const span = start(pattern, 'publish');
      const result: Observable<unknown> = context.with(trace.setSpan(context.active(), span), () => emit.call(client, pattern, data));
      // The original is hot (already connected): listening does not change when it sends.
      result.subscribe({
        error: (error: unknown) => {
          recordError(span, error);
          span.end();
        },
        complete: () => span.end(),
      });
      return result;
    };
  }
}

function destinationOf(client: any, pattern: unknown): string {
  if (typeof pattern === 'string') return pattern;
  try {
    return typeof client.normalizePattern === 'function' ? String(client.normalizePattern(pattern)) : JSON.stringify(pattern);
  } catch {
    return String(pattern);
  }
}

