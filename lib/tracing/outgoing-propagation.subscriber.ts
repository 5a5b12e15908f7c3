import { Context, context, propagation, TextMapSetter, trace } from '@opentelemetry/api';
import diagnosticsChannel from 'node:diagnostics_channel';

/** What the module touches of a `node:http` `ClientRequest`. */
export interface HttpClientRequest {
  getHeader(name: string): unknown;
  setHeader(name: string, value: string): void;
}

/** What the module touches of an undici request (`fetch()` included): headers as `[name, value, …]` or raw text. */
export interface UndiciRequest {
  headers: string | string[];
  addHeader(name: string, value: string): void;
}

/** Published by `node:http` when a `ClientRequest` is made, before its headers are sent. */
export const HTTP_CLIENT_CREATED_CHANNEL = 'http.client.request.created';
/** Published by undici (and so by `fetch()`) when a request is made, before its headers are sent. */
export const UNDICI_CREATE_CHANNEL = 'undici:request:create';

/**
 * Carries the active trace context into outgoing `http`/`https` requests and `fetch()` calls by
 * subscribing to Node's diagnostics channels: no patching of `http` or `undici`, so it works for ESM
 * apps and costs nothing when no request is made. A header already set (by the caller or an
 * auto-instrumentation) is left alone. Used when the outgoing HTTP part (`httpClient`) is off; that
 * part propagates the context of its client spans itself.
 */
export class OutgoingPropagationSubscriber {
  private readonly onHttp = ({ request }: { request: HttpClientRequest }) => {
    if (trace.getSpan(context.active()) === undefined) return;
    injectIntoHttpRequest(context.active(), request);
  };

  private readonly onUndici = ({ request }: { request: UndiciRequest }) => {
    if (trace.getSpan(context.active()) === undefined) return;
    injectIntoUndiciRequest(context.active(), request);
  };

  subscribe(): void {
    diagnosticsChannel.subscribe(HTTP_CLIENT_CREATED_CHANNEL, this.onHttp as (message: unknown) => void);
    diagnosticsChannel.subscribe(UNDICI_CREATE_CHANNEL, this.onUndici as (message: unknown) => void);
  }

  unsubscribe(): void {
    diagnosticsChannel.unsubscribe(HTTP_CLIENT_CREATED_CHANNEL, this.onHttp as (message: unknown) => void);
    diagnosticsChannel.unsubscribe(UNDICI_CREATE_CHANNEL, this.onUndici as (message: unknown) => void);
  }
}

/** Injects `spanContext`'s propagation headers into a `ClientRequest`, leaving those already set alone. */
export function injectIntoHttpRequest(spanContext: Context, request: HttpClientRequest): void {
  propagation.inject(spanContext, request, HTTP_SETTER);
}

/** Injects `spanContext`'s propagation headers into an undici request, leaving those already set alone. */
export function injectIntoUndiciRequest(spanContext: Context, request: UndiciRequest): void {
  const carrier: Record<string, string> = {};
  propagation.inject(spanContext, carrier);
  for (const [name, value] of Object.entries(carrier)) {
    if (!undiciHasHeader(request, name)) request.addHeader(name, value);
  }
}

/** Whether an undici request already carries header `name` (lower case). */
export function undiciHasHeader(request: UndiciRequest, name: string): boolean {
  const headers = request.headers;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) if (String(headers[i]).toLowerCase() === name) return true;
    return false;
  }
  return new RegExp(`(^|[\\r\\n])${name}:`, 'i').test(String(headers ?? ''));
}

const HTTP_SETTER: TextMapSetter<HttpClientRequest> = {
  set(request, key, value) {
    if (request.getHeader(key) === undefined) request.setHeader(key, value);
  },
};
