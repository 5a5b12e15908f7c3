import { Attributes, Context, createContextKey, Span, SpanContext, SpanKind, SpanStatusCode, trace, TraceFlags, Tracer } from '@opentelemetry/api';
import { Logger } from '@nestjs/common';
import { normalizeMethod } from '../instrumentation/http-route';
import { recordException } from '../tracing/span-listener';
import { UnsampledSpan } from '../tracing/sampling/unsampled.span';
import { ResolvedHttpClientOptions } from './http-client-options.interface';
import { OutgoingTarget, redactedUrl } from './outgoing-call';
import { OutgoingCallFilter } from './outgoing-call.filter';

/**
 * The seam to the metrics part: the duration histogram (a `LeanHistogram`), or `null` when metrics are
 * off.
 */
export interface ClientDurationHistogram {
  child(labels: Record<string, string>): { observeInSpan(seconds: number, spanContext: SpanContext | undefined): void };
}

/** One outgoing call in flight. */
export interface ClientCall {
  readonly target: OutgoingTarget;
  readonly method: string;
  readonly template: string | undefined;
  readonly start: number;
  /** The module's CLIENT span, or `null` (not sampled, tracing off, or another instrumentation's call). */
  readonly span: Span | null;
  /** The context whose trace goes out in `traceparent`: the span's, else the caller's. */
  readonly context: Context;
}

/** OpenTelemetry's SDK runs its exports (the OTLP requests) in a context with this key set. */
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/**
 * Starts and ends what one outgoing call records: the CLIENT span (after the OpenTelemetry HTTP client
 * conventions) and one observation of `http_client_request_duration_seconds`, from one measurement.
 * The channels (`HttpClientSubscriber`) call it; it knows nothing of `http` or undici.
 */
export class ClientCallRecorder {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly children = new Map<string, ReturnType<ClientDurationHistogram['child']>>();
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

  /**
   * Starts recording a call, or returns `undefined` when it is not recorded (`hosts`, `excludeUrls`,
   * the management port). `foreign`: the request already carries a `traceparent` (set by the caller or
   * by an auto-instrumentation's own client span), so the module adds no span of its own.
   */
  begin(target: OutgoingTarget, parent: Context, foreign: boolean): ClientCall | undefined {
    if (!this.filter.records(target)) return undefined;
    const method = normalizeMethod(target.method);
    const template = this.filter.template(target);
    const start = performance.now();
    let span: Span | null = null;
    if (this.tracer !== null && !foreign && samplesChildren(parent, this.options.rootSpans)) {
      const name = `${method === '_OTHER' ? 'HTTP' : method}${template === undefined ? '' : ` ${template}`}`;
      // Under a sampled parent (or as a root span) the span is almost always sampled: every attribute is
      // given at the start, in one object, for any sampler to see.
      const attributes: Attributes = { 'http.request.method': method, 'server.address': target.host, 'server.port': target.port, 'url.full': redactedUrl(target) };
      if (method === '_OTHER') attributes['http.request.method_original'] = target.method.slice(0, 64);
      if (template !== undefined) attributes['url.template'] = template;
      span = this.tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    }
    return { target, method, template, start, span, context: span === null ? parent : trace.setSpan(parent, span) };
  }

  /** Ends a call with the response's status, or with the error that ended it. */
  end(call: ClientCall, status: number | undefined, error?: unknown): void {
    const seconds = (performance.now() - call.start) / 1000;
    const errorType = error !== undefined ? errorTypeOf(error) : status !== undefined && status >= 400 ? String(status) : '';
    const span = call.span;
    if (span !== null) {
      if (span.isRecording()) {
        const attributes: Attributes = {};
        if (status !== undefined) attributes['http.response.status_code'] = status;
        if (errorType !== '') attributes['error.type'] = errorType;
        span.setAttributes(attributes);
        if (error !== undefined) recordException(span, error);
        if (errorType !== '') span.setStatus({ code: SpanStatusCode.ERROR, ...(error instanceof Error ? { message: error.message } : {}) });
      }
      span.end();
    }
    if (this.histogram === null) return;
    const server = this.serverLabels(call.target);
    const statusLabel = status === undefined ? '' : String(status);
    const key = `${call.method} ${server.address} ${server.port} ${statusLabel} ${errorType} ${call.template ?? ''}`;
    let child = this.children.get(key);
    if (child === undefined) {
      const labels: Record<string, string> = {
        http_request_method: call.method,
        server_address: server.address,
        server_port: server.port,
        http_response_status_code: statusLabel,
        error_type: errorType,
      };
      if (this.withTemplates) labels.url_template = call.template ?? '';
      child = this.histogram.child(labels);
      this.children.set(key, child);
    }
    child.observeInSpan(seconds, this.exemplars && span !== null ? span.spanContext() : undefined);
  }

  private serverLabels(target: OutgoingTarget): { address: string; port: string } {
    const key = `${target.host}:${target.port}`;
    if (this.servers.has(key)) return { address: target.host, port: String(target.port) };
    if (this.servers.size >= this.options.maxServers) {
      if (!this.overflowWarned) {
        this.overflowWarned = true;
        this.logger.warn(
          `Outgoing HTTP calls went to more than ${this.options.maxServers} distinct servers; further ones are recorded as server_address="OTHER". ` +
            'Raise "httpClient.maxServers", or narrow "httpClient.hosts".',
        );
      }
      return { address: 'OTHER', port: '' };
    }
    this.servers.add(key);
    return { address: target.host, port: String(target.port) };
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
