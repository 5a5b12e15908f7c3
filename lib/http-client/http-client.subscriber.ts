import { OnApplicationShutdown } from '@nestjs/common';
import { context, Tracer } from '@opentelemetry/api';
import diagnosticsChannel from 'node:diagnostics_channel';
import { HTTP_CLIENT_CREATED_CHANNEL, HttpClientRequest, UNDICI_CREATE_CHANNEL, UndiciRequest } from '../tracing/outgoing-propagation.subscriber';
import { ClientCall, ClientCallRecorder, ClientDurationHistogram } from './client-call.recorder';
import { DestinationCache } from './destination.cache';
import { ResolvedHttpClientOptions } from './http-client-options.interface';
import { httpAuthority, requestPath } from './outgoing-call';
import { PropagationHeaders, undiciHasTraceparent } from './propagation-headers';
import { OutgoingCallFilter } from './outgoing-call.filter';

/** What the subscriber is built from (the module's wiring). */
export interface HttpClientSubscriberDeps {
  options: ResolvedHttpClientOptions;
  /** `null` when tracing is off. */
  tracer: Tracer | null;
  /** `null` when metrics are off. */
  histogram: ClientDurationHistogram | null;
  /** Whether `traceparent` goes out (`tracing.propagateOutgoing`). */
  propagate: boolean;
  exemplars: boolean;
  /** Whether `port` is one of this app's own listening ports, read at call time. */
  ownPort: (port: number) => boolean;
}

type NodeClientRequest = HttpClientRequest & { method?: string; protocol?: string; host?: string; path?: string };

/**
 * The outgoing HTTP part (`httpClient`): subscribes to the diagnostics channels that undici (and so
 * `fetch()`) and `node:http` publish on, no patching, and hands each call to `ClientCallRecorder`.
 * The span ends, and the duration is taken, when the response headers arrive (or the call fails):
 * a response body the caller never reads cannot keep a span open.
 *
 * It also puts the call's trace context into `traceparent` (the client span's when sampled, else the
 * caller's, with flags `00`), in place of `OutgoingPropagationSubscriber`.
 */
export class HttpClientSubscriber implements OnApplicationShutdown {
  private readonly recorder: ClientCallRecorder;
  private readonly destinations: DestinationCache;
  private readonly headers = new PropagationHeaders();
  private readonly calls = new WeakMap<object, ClientCall>();
  private readonly propagate: boolean;
  private subscribed = false;

  constructor(deps: HttpClientSubscriberDeps) {
    const filter = new OutgoingCallFilter(deps.options, deps.ownPort);
    this.recorder = new ClientCallRecorder(deps.tracer, deps.histogram, filter, deps.options, deps.exemplars);
    this.destinations = new DestinationCache(filter);
    this.propagate = deps.propagate;
    if (deps.tracer === null && deps.histogram === null) return;
    for (const [channel, listener] of this.channels()) diagnosticsChannel.subscribe(channel, listener);
    this.subscribed = true;
  }

  private readonly onUndiciCreate = ({ request }: { request: UndiciRequest & { origin?: unknown; method?: unknown; path?: unknown } }) => {
    const parent = context.active();
    if (this.recorder.suppressed(parent)) return;
    const origin = request.origin;
    const destination = this.destinations.ofOrigin(typeof origin === 'string' ? origin : String(origin ?? ''));
    let call: ClientCall | undefined;
    // Whether a traceparent is there already: asked only when it matters (a span, or propagation).
    let foreign: boolean | undefined;
    if (destination !== null) {
      if (this.recorder.tracing) foreign = undiciHasTraceparent(request.headers);
      const method = request.method;
      call = this.recorder.begin(destination, typeof method === 'string' ? method : 'GET', requestPath(request.path), parent, foreign === true);
      if (call !== undefined) this.calls.set(request, call);
    }
    if (this.propagate) this.headers.injectIntoUndici(call !== undefined ? call.context : parent, request, foreign ?? undiciHasTraceparent(request.headers));
  };

  private readonly onUndiciHeaders = ({ request, response }: { request: object; response: { statusCode: number } }) => {
    this.finish(request, response.statusCode);
  };

  private readonly onUndiciError = ({ request, error }: { request: object; error: unknown }) => {
    this.finish(request, undefined, error);
  };

  private readonly onHttpCreated = ({ request }: { request: NodeClientRequest }) => {
    const parent = context.active();
    if (this.recorder.suppressed(parent)) return;
    const destination = this.destinations.ofHttp(request.protocol, httpAuthority(request));
    const call = destination === null ? undefined : this.recorder.begin(destination, request.method ?? 'GET', requestPath(request.path), parent, this.recorder.tracing && request.getHeader('traceparent') !== undefined);
    if (call !== undefined) this.calls.set(request, call);
    if (this.propagate) this.headers.injectIntoHttp(call !== undefined ? call.context : parent, request);
  };

  private readonly onHttpResponse = ({ request, response }: { request: object; response: { statusCode?: number } }) => {
    this.finish(request, response.statusCode);
  };

  private readonly onHttpError = ({ request, error }: { request: object; error: unknown }) => {
    this.finish(request, undefined, error);
  };

  private finish(request: object, status: number | undefined, error?: unknown): void {
    const call = this.calls.get(request);
    if (call === undefined) return;
    // Once: an error after the headers (a body cut short) does not end the call a second time.
    this.calls.delete(request);
    this.recorder.end(call, status, error);
  }

  private channels(): Array<[string, (message: any) => void]> {
    return [
      [UNDICI_CREATE_CHANNEL, this.onUndiciCreate],
      ['undici:request:headers', this.onUndiciHeaders],
      ['undici:request:error', this.onUndiciError],
      [HTTP_CLIENT_CREATED_CHANNEL, this.onHttpCreated],
      ['http.client.response.finish', this.onHttpResponse],
      ['http.client.request.error', this.onHttpError],
    ];
  }

  /** After the HTTP server drained: calls made by requests still in flight during the drain are recorded. */
  onApplicationShutdown(): void {
    if (!this.subscribed) return;
    this.subscribed = false;
    for (const [channel, listener] of this.channels()) diagnosticsChannel.unsubscribe(channel, listener);
    this.headers.clear();
  }
}

/** The name and help of the client duration histogram. */
export const HTTP_CLIENT_DURATION_METRIC = 'http_client_request_duration_seconds';

/** The histogram's label names: OpenTelemetry's `http.client.request.duration` attributes, `url_template` only with templates. */
export function httpClientLabelNames(options: ResolvedHttpClientOptions): string[] {
  const labels = ['http_request_method', 'server_address', 'server_port', 'http_response_status_code', 'error_type'];
  return options.urlTemplates.length > 0 ? [...labels, 'url_template'] : labels;
}
