import { Attributes, context, Span, SpanKind, trace, Tracer } from '@opentelemetry/api';
import { Gauge } from 'prom-client';
import { InstrumentationSpec, InvocationListener, MethodInstrumenter } from '../instrumentation/instrumentation-spec.interface';
import { LeanCounter } from '../metrics/lean-counter.metric';
import { LeanHistogram } from '../metrics/lean-histogram.metric';
import { MetricsService } from '../metrics/metrics.service';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { recordError } from '../tracing/span-listener';
import { ConnectionCounter, ConnectionCounting, WS_MESSAGE_KIND, WsMessageSpecOptions } from './gateway-instrumentation.installer';

interface MessageState {
  start: number;
  span: Span | null;
}

interface Meters {
  duration: LeanHistogram;
  received: LeanCounter;
  sent: LeanCounter;
}

/**
 * The listeners of gateway handlers (see `GatewayInstrumentationInstaller`): per `@SubscribeMessage()`
 * message, a CONSUMER span `process ChatGateway.message` (a root span: a socket message has no
 * incoming trace context), `websocket_server_message_duration_seconds{gateway, event, outcome}` and
 * the messages received and replied; per connection and disconnection,
 * `websocket_server_connections_open{gateway}`. A thrown `WsException` (or any error) is an error:
 * status ERROR with the exception event, `outcome="error"`.
 */
export class GatewayInstrumenter implements MethodInstrumenter, ConnectionCounting {
  readonly kinds = [WS_MESSAGE_KIND];
  readonly order = 200;
  private readonly meters: Meters | null;
  private readonly open = new Map<string, number>();
  /** The transport of each gateway, seen on its first connection (handlers get their decorated arguments, not the client). */
  private readonly systems = new Map<string, string>();

  constructor(
    private readonly tracer: Tracer | null,
    metrics: MetricsService | null,
    options: ResolvedObservabilityOptions,
  ) {
    if (metrics === null) {
      this.meters = null;
      return;
    }
    const origin = 'the WebSocket metrics of ObservabilityModule';
    this.meters = {
      duration: metrics.leanHistogram('websocket_server_message_duration_seconds', 'Duration of WebSocket message handlers (@SubscribeMessage) in seconds.', ['gateway', 'event', 'outcome'], options.websockets.buckets, origin),
      received: metrics.leanCounter('websocket_server_messages_received_total', 'WebSocket messages received by a @SubscribeMessage handler.', ['gateway', 'event'], origin),
      sent: metrics.leanCounter('websocket_server_messages_sent_total', 'Replies of @SubscribeMessage handlers (a returned value or a resolved one).', ['gateway', 'event'], origin),
    };
    const open = this.open;
    const gauge: Gauge = metrics.gauge({
      name: 'websocket_server_connections_open',
      help: 'Open WebSocket connections, per gateway.',
      labelNames: ['gateway'],
      collect() {
        for (const [gateway, count] of open) gauge.set({ gateway }, count);
      },
    });
  }

  connectionCounter(gateway: string): ConnectionCounter {
    if (this.meters !== null && !this.open.has(gateway)) this.open.set(gateway, 0);
    return (delta, client) => {
      if (delta === 1 && !this.systems.has(gateway)) this.systems.set(gateway, systemOf(client));
      if (this.meters !== null) this.open.set(gateway, Math.max(0, (this.open.get(gateway) ?? 0) + delta));
    };
  }

  createListener(spec: InstrumentationSpec): InvocationListener<any> {
    const gateway = spec.className;
    const event = (spec.options as WsMessageSpecOptions).event;
    const tracer = this.tracer;
    const meters = this.meters;
    const received = meters?.received.child({ gateway, event });
    const sent = meters?.sent.child({ gateway, event });
    const ok = meters?.duration.child({ gateway, event, outcome: 'success' });
    const failed = meters?.duration.child({ gateway, event, outcome: 'error' });
    const name = `process ${gateway}.${event}`;
    const systems = this.systems;
    return {
      start(): MessageState {
        received?.inc();
        let span: Span | null = null;
        if (tracer !== null) {
          const attributes: Attributes = {
            'messaging.system': systems.get(gateway) ?? 'websocket',
            'messaging.operation.type': 'process',
            'messaging.destination.name': event,
            'nest.gateway': gateway,
            'nest.handler': spec.methodName,
          };
          span = tracer.startSpan(name, { kind: SpanKind.CONSUMER, attributes });
        }
        return { start: performance.now(), span };
      },
      run(state: MessageState, body) {
        return state.span === null ? body() : context.with(trace.setSpan(context.active(), state.span), body);
      },
      // `value` is what Nest sends back: the returned value, or what a Promise resolved to (an Observable's values are not counted).
      end(state: MessageState, error, didFail, value) {
        const seconds = (performance.now() - state.start) / 1000;
        if (state.span !== null) {
          if (didFail) recordError(state.span, error);
          state.span.end();
        }
        (didFail ? failed : ok)?.observeInSpan(seconds, state.span?.spanContext());
        if (!didFail && value !== undefined && value !== null && !isObservableLike(value)) sent?.inc();
      },
      cancel(state: MessageState) {
        state.span?.end();
      },
    };
  }
}

/** `socket.io` for a socket.io `Socket`, `ws` for a `ws` WebSocket. */
function systemOf(client: unknown): string {
  const c = client as { handshake?: unknown; nsp?: unknown; send?: unknown; readyState?: unknown } | null;
  if (c && typeof c === 'object' && 'handshake' in c && 'nsp' in c) return 'socket.io';
  if (c && typeof c === 'object' && typeof c.send === 'function' && 'readyState' in c) return 'ws';
  return 'websocket';
}

function isObservableLike(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { subscribe?: unknown }).subscribe === 'function';
}
