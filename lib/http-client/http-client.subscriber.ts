import { OnApplicationShutdown } from '@nestjs/common';
import { context, Tracer } from '@opentelemetry/api';
import diagnosticsChannel from 'node:diagnostics_channel';
import {
  HTTP_CLIENT_CREATED_CHANNEL,
  HttpClientRequest,
  injectIntoHttpRequest,
  injectIntoUndiciRequest,
  UNDICI_CREATE_CHANNEL,
  undiciHasHeader,
  UndiciRequest,
} from '../tracing/outgoing-propagation.subscriber';
import { ClientCall, ClientCallRecorder, ClientDurationHistogram } from './client-call.recorder';
import { ResolvedHttpClientOptions } from './http-client-options.interface';
import { httpTarget, undiciTarget } from './outgoing-call';
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
  private readonly calls = new WeakMap<object, ClientCall>();
  private readonly propagate: boolean;
  private subscribed = false;

  constructor(deps: HttpClientSubscriberDeps) {
    this.recorder = new ClientCallRecorder(deps.tracer, deps.histogram, new OutgoingCallFilter(deps.options, deps.ownPort), deps.options, deps.exemplars);
    this.propagate = deps.propagate;
    if (deps.tracer === null && deps.histogram === null) return;
    for (const [channel, listener] of this.channels()) diagnosticsChannel.subscribe(channel, listener);
    this.subscribed = true;
  }

  private readonly onUndiciCreate = ({ request }: { request: UndiciRequest & object }) => {
    const parent = context.active();
    if (this.recorder.suppressed(parent)) return;
    const target = undiciTarget(request);
    const call = target && this.recorder.begin(target, parent, undiciHasHeader(request, 'traceparent'));
    if (call) this.calls.set(request, call);
    if (this.propagate) injectIntoUndiciRequest(call ? call.context : parent, request);
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
    const target = httpTarget(request);
    const call = target && this.recorder.begin(target, parent, request.getHeader('traceparent') !== undefined);
    if (call) this.calls.set(request, call);
    if (this.propagate) injectIntoHttpRequest(call ? call.context : parent, request);
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
  }
}

/** The name and help of the client duration histogram. */
export const HTTP_CLIENT_DURATION_METRIC = 'http_client_request_duration_seconds';

/** The histogram's label names: OpenTelemetry's `http.client.request.duration` attributes, `url_template` only with templates. */
export function httpClientLabelNames(options: ResolvedHttpClientOptions): string[] {
  const labels = ['http_request_method', 'server_address', 'server_port', 'http_response_status_code', 'error_type'];
  return options.urlTemplates.length > 0 ? [...labels, 'url_template'] : labels;
}
