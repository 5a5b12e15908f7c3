import { context, propagation, TextMapSetter, trace } from '@opentelemetry/api';
import diagnosticsChannel from 'node:diagnostics_channel';

interface HttpClientRequest {
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): void;
}

interface UndiciRequest {
  headers: string | string[];
  addHeader(name: string, value: string): void;
}

const HTTP_CHANNEL = 'http.client.request.created';
const UNDICI_CHANNEL = 'undici:request:create';

/**
 * Carries the active trace context into outgoing `http`/`https` requests and `fetch()` calls by
 * subscribing to Node's diagnostics channels: no patching of `http` or `undici`, so it works for ESM
 * apps and costs nothing when no request is made. A header already set (by the caller or an
 * auto-instrumentation) is left alone.
 */
export class OutgoingPropagationSubscriber {
  private readonly onHttp = ({ request }: { request: HttpClientRequest }) => {
    if (trace.getSpan(context.active()) === undefined) return;
    propagation.inject(context.active(), request, HTTP_SETTER);
  };

  private readonly onUndici = ({ request }: { request: UndiciRequest }) => {
    if (trace.getSpan(context.active()) === undefined) return;
    const existing = Array.isArray(request.headers) ? request.headers.join('\n') : String(request.headers ?? '');
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    for (const [name, value] of Object.entries(carrier)) {
      if (!new RegExp(`(^|[\\r\\n,])${name}([:\\r\\n,]|$)`, 'i').test(existing)) request.addHeader(name, value);
    }
  };

  subscribe(): void {
    diagnosticsChannel.subscribe(HTTP_CHANNEL, this.onHttp as (message: unknown) => void);
    diagnosticsChannel.subscribe(UNDICI_CHANNEL, this.onUndici as (message: unknown) => void);
  }

  unsubscribe(): void {
    diagnosticsChannel.unsubscribe(HTTP_CHANNEL, this.onHttp as (message: unknown) => void);
    diagnosticsChannel.unsubscribe(UNDICI_CHANNEL, this.onUndici as (message: unknown) => void);
  }
}

const HTTP_SETTER: TextMapSetter<HttpClientRequest> = {
  set(request, key, value) {
    if (request.getHeader(key) === undefined) request.setHeader(key, value);
  },
};
