import { Attributes, Context, createContextKey, Span, SpanContext, SpanKind, SpanStatusCode, trace, TraceFlags, Tracer } from '@opentelemetry/api';
import { Logger } from '@nestjs/common';
import { normalizeMethod } from '../instrumentation/http-route';
import { recordException } from '../tracing/span-listener';
import { UnsampledSpan } from '../tracing/sampling/unsampled.span';
import { ResolvedHttpClientOptions } from './http-client-options.interface';
import { KnownDestination } from './destination.cache';
import { redactedUrl } from './outgoing-call';
import { OutgoingCallFilter } from './outgoing-call.filter';

/**
 * The seam to the metrics part: the duration histogram (a `LeanHistogram`), or `null` when metrics are
 * off.
 */
export interface ClientDurationHistogram {
  child(labels: Record<string, string>): { observeInSpan(seconds: number, spanContext: SpanContext | undefined): void };
}

type HistogramChild = ReturnType<ClientDurationHistogram['child']>;

/** One outgoing call in flight. */
export class ClientCall {
  constructor(
    readonly destination: KnownDestination,
    /** Normalized (`_OTHER` for an unknown one). */
    readonly method: string,
    readonly template: string | undefined,
    readonly start: number,
    /** The module's CLIENT span, or `null` (not sampled, tracing off, or another instrumentation's call). */
    readonly span: Span | null,
    /** The context whose trace goes out in `traceparent`: the span's, else the caller's. */
    readonly context: Context,
  ) {}
}

/** OpenTelemetry's SDK runs its exports (the OTLP requests) in a context with this key set. */
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/**
 * Starts and ends what one outgoing call records: the CLIENT span (after the OpenTelemetry HTTP client
 * conventions) and one observation of `http_client_request_duration_seconds`, from one measurement.
 * The channels (`HttpClientSubscriber`) call it; it knows nothing of `http` or undici.
 *
 * Every call pays it, so an unsampled one allocates only its `ClientCall`: the destination is parsed
 * once (`DestinationCache`), attributes exist only for a span, and the histogram child of the
 * destination's last call is reused without a lookup.
 */
export class ClientCallRecorder {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly children = new Map<string, HistogramChild>();
  private readonly servers = new Set<string>();
  private readonly withTemplates: boolean;
  private overflowWarned = false;

  constructor(
    private readonly tracer: Tracer | null,
    private readonly histogram: ClientDurationHistogram | null,
    private readonly filter: OutgoingCallFilter,
    private readonly options: ResolvedHttpClientOptions,
    private readonly exemplars: boolean,
  ) {
    this.withTemplates = options.urlTemplates.length > 0;
  }

  /** Whether nothing at all may be recorded or propagated for calls made in `parent` (the SDK's own exports). */
  suppressed(parent: Context): boolean {
    return parent.getValue(SUPPRESS_TRACING_KEY) === true;
  }

  /** Whether the module makes spans at all (else `begin()` never asks whether the call is foreign). */
  get tracing(): boolean {
    return this.tracer !== null;
  }

  /**
   * Starts recording a call, or returns `undefined` when it is not recorded (`hosts`, `excludeUrls`,
   * the app's own ports). `foreign`: the request already carries a `traceparent` (set by the caller or
   * by an auto-instrumentation's own client span), so the module adds no span of its own.
   */
  begin(destination: KnownDestination, rawMethod: string, path: string, parent: Context, foreign: boolean): ClientCall | undefined {
    if (!destination.recordsHost || this.filter.isOwn(destination, destination.loopback) || !this.filter.recordsUrl(destination, path)) return undefined;
    const method = normalizeMethod(rawMethod);
    const template = this.filter.template(path);
    const start = performance.now();
    if (this.tracer === null || foreign || !samplesChildren(parent, this.options.rootSpans)) return new ClientCall(destination, method, template, start, null, parent);
    const name = method === '_OTHER' ? (template === undefined ? 'HTTP' : `HTTP ${template}`) : template === undefined ? method : `${method} ${template}`;
    // Under a sampled parent (or as a root span) the span is almost always sampled: every attribute is
    // given at the start, in one object, for any sampler to see.
    const attributes: Attributes = {
      'http.request.method': method,
      'server.address': destination.host,
      'server.port': destination.port,
      'url.full': destination.url(path, redactedUrl),
    };
    if (method === '_OTHER') attributes['http.request.method_original'] = rawMethod.slice(0, 64);
    if (template !== undefined) attributes['url.template'] = template;
    const span = this.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    return new ClientCall(destination, method, template, start, span, trace.setSpan(parent, span));
  }

  /** Ends a call with the response's status, or with the error that ended it. */
  end(call: ClientCall, status: number | undefined, error?: unknown): void {
    const seconds = (performance.now() - call.start) / 1000;
    const errorType = error !== undefined ? errorTypeOf(error) : status !== undefined && status >= 400 ? String(status) : '';
    const span = call.span;
    if (span !== null) {
      if (span.isRecording()) {
        if (status !== undefined) span.setAttribute('http.response.status_code', status);
        if (errorType !== '') span.setAttribute('error.type', errorType);
        if (error !== undefined) recordException(span, error);
        if (errorType !== '') span.setStatus({ code: SpanStatusCode.ERROR, ...(error instanceof Error ? { message: error.message } : {}) });
      }
      span.end();
    }
    if (this.histogram === null) return;
    const destination = call.destination;
    let child: HistogramChild;
    // Without an error, the labels are a function of (method, status, template) at one destination.
    if (error === undefined && destination.lastStatus === status && destination.lastMethod === call.method && destination.lastTemplate === call.template && destination.lastChild !== null) {
      child = destination.lastChild as HistogramChild;
    } else {
      child = this.child(call, status, errorType);
      if (error === undefined) {
        destination.lastStatus = status;
        destination.lastMethod = call.method;
        destination.lastTemplate = call.template;
        destination.lastChild = child;
      }
    }
    child.observeInSpan(seconds, this.exemplars && span !== null ? span.spanContext() : undefined);
  }

  private child(call: ClientCall, status: number | undefined, errorType: string): HistogramChild {
    const destination = call.destination;
    if (destination.serverAddress === undefined) this.bindServer(destination);
    const statusLabel = status === undefined ? '' : String(status);
    const key = `${call.method} ${destination.serverAddress} ${destination.serverPort} ${statusLabel} ${errorType} ${call.template ?? ''}`;
    let child = this.children.get(key);
    if (child === undefined) {
      const labels: Record<string, string> = {
        http_request_method: call.method,
        server_address: destination.serverAddress!,
        server_port: destination.serverPort,
        http_response_status_code: statusLabel,
        error_type: errorType,
      };
      if (this.withTemplates) labels.url_template = call.template ?? '';
      child = this.histogram!.child(labels);
      this.children.set(key, child);
    }
    return child;
  }

  /** The destination's `server_address`/`server_port` labels: its own, or `OTHER` past `maxServers`. */
  private bindServer(destination: KnownDestination): void {
    const key = `${destination.host}:${destination.port}`;
    if (!this.servers.has(key) && this.servers.size >= this.options.maxServers) {
      if (!this.overflowWarned) {
        this.overflowWarned = true;
        this.logger.warn(
          `Outgoing HTTP calls went to more than ${this.options.maxServers} distinct servers; further ones are recorded as server_address="OTHER". ` +
            'Raise "httpClient.maxServers", or narrow "httpClient.hosts".',
        );
      }
      destination.serverAddress = 'OTHER';
      destination.serverPort = '';
      return;
    }
    this.servers.add(key);
    destination.serverAddress = destination.host;
    destination.serverPort = String(destination.port);
  }
}

/**
 * Whether a child span may be sampled under `parent`: not under the request fast path's unsampled
 * span, nor under any parent whose flags say "not sampled" (the SDK's sampler would follow them anyway);
 * with no parent at all, only with `httpClient.rootSpans`.
 */
function samplesChildren(parent: Context, rootSpans: boolean): boolean {
  const span = trace.getSpan(parent);
  if (span === undefined) return rootSpans;
  if (span instanceof UnsampledSpan) return false;
  return (span.spanContext().traceFlags & TraceFlags.SAMPLED) !== 0;
}

/**
 * `error.type` of a call that failed without a response: the error's code (`ECONNREFUSED`,
 * `UND_ERR_HEADERS_TIMEOUT`), else its class (`AbortError`, `TimeoutError`), bounded.
 */
function errorTypeOf(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  if (code !== undefined && /^[A-Z0-9_]{1,64}$/.test(code)) return code;
  const name = typeof e?.name === 'string' && e.name !== 'Error' ? e.name : (error as object | null)?.constructor?.name;
  return typeof name === 'string' && /^[A-Za-z0-9_.]{1,64}$/.test(name) ? name : '_OTHER';
}
