import { Attributes, Context, context, propagation, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, TextMapGetter, trace, Tracer } from '@opentelemetry/api';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { HttpExchange, HttpExchangeListener } from '../instrumentation/http-exchange.interface';
import { normalizeMethod, readRoute, recordedStatus } from '../instrumentation/http-route';
import { PathMatcher } from '../metrics/path-matcher';
import { pairsToAttributes, REQUEST_ATTRIBUTES_MAX, requestAttributes, writeRequestAttributes } from './http-span.attributes';
import { FastPath, FastPathResolver } from './sampling/fast-path.resolver';
import { UNTRUSTED_SAMPLED_FLAG } from './sampling/observability.sampler';
import { randomUint32, traceIdWithAccumulation } from './sampling/trace-ids';
import { RequestContext } from './request-context';
import { UnsampledSpan } from './sampling/unsampled.span';
import { ObservabilitySpan } from './span/observability.span';
import { ServerSpanNames } from './server-span.names';

const HEADER_GETTER: TextMapGetter<IncomingHttpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

interface TracedExchange extends HttpExchange {
  /** Whether this listener created the span (and so ends it). */
  ownsSpan?: boolean;
  /** Whether the request attributes still have to be set when the span ends. */
  attributesAtEnd?: boolean;
  /** The context the request runs in, released when the response closes (see `RequestContext`). */
  requestContext?: RequestContext | UnsampledSpan;
}

/** Options of `HttpTracingListener`. */
export interface HttpTracingListenerOptions {
  excludePaths: string[];
  /** Whether a remote `traceparent` that says "sampled" is followed (else the ratio applies to it). */
  trustIncomingSampling: boolean;
  /** Whether the fast path may be used (no `tracing.tracerProvider` of the user's). */
  fastPath: boolean;
}

/**
 * One server span per HTTP request, started in the adapter-level hook so that it covers middleware,
 * guards, pipes, the handler and exception filters, and ended when the response closes, with the final
 * status. Named `GET /orders/:id` once the route is known; attributes follow the OpenTelemetry HTTP
 * semantic conventions. An incoming `traceparent` is continued. When an HTTP auto-instrumentation has
 * already started a server span for the request, that span is enriched and renamed instead.
 *
 * Sampling is decided here, before the SDK, when the SDK is the one `startObservabilitySdk()` started
 * (see `FastPathResolver`): a request that is not sampled gets an `UnsampledSpan` (no SDK span, ids
 * made only if something propagates or logs them), and a sampled one an SDK span whose attributes are
 * set once, when it ends.
 */
export class HttpTracingListener implements HttpExchangeListener {
  private readonly excluded: PathMatcher;
  private readonly fastPaths: FastPathResolver;
  private readonly trustIncoming: boolean;
  private readonly names = new ServerSpanNames();

  constructor(
    private readonly tracer: Tracer,
    options: HttpTracingListenerOptions,
  ) {
    this.excluded = new PathMatcher(options.excludePaths);
    this.fastPaths = new FastPathResolver(tracer, options.fastPath);
    this.trustIncoming = options.trustIncomingSampling;
  }

  onRequest(exchange: TracedExchange): void {
    if (this.excluded.matches(exchange.path)) return;
    const raw = exchange.raw;
    const existing = trace.getSpan(context.active());
    if (existing !== undefined && existing.isRecording() && (existing as { kind?: SpanKind }).kind === SpanKind.SERVER) {
      this.adopt(exchange, existing);
      return;
    }
    const headers = exchange.headers;
    const fastPath = this.fastPaths.current();
    if (fastPath !== null && !carriesContext(headers, fastPath.fields)) {
      // A new trace: draw the ratio sampler's accumulation, decide, and make ids only if needed.
      const accumulation = randomUint32();
      if (!fastPath.sampling.policy.samplesAccumulation(accumulation)) {
        this.enter(exchange, raw, new UnsampledSpan(accumulation));
        return;
      }
      fastPath.sampling.idGenerator.presetNext(traceIdWithAccumulation(accumulation));
      this.startSpan(exchange, raw, ROOT_CONTEXT, fastPath);
      return;
    }
    let parent = propagation.extract(ROOT_CONTEXT, headers, HEADER_GETTER);
    // The SDK's sampler (ObservabilitySampler) reads this mark; the fast path decides below.
    if (!this.trustIncoming) parent = parent.setValue(UNTRUSTED_SAMPLED_FLAG, true);
    if (fastPath !== null) {
      const remote = trace.getSpanContext(parent);
      if (remote !== undefined && trace.isSpanContextValid(remote)) {
        if (!fastPath.sampling.policy.samples(remote, remote.traceId, this.trustIncoming)) {
          this.enter(exchange, raw, new UnsampledSpan(0, remote, parent));
          return;
        }
      } else {
        const accumulation = randomUint32();
        if (!fastPath.sampling.policy.samplesAccumulation(accumulation)) {
          this.enter(exchange, raw, new UnsampledSpan(accumulation, undefined, parent));
          return;
        }
        fastPath.sampling.idGenerator.presetNext(traceIdWithAccumulation(accumulation));
      }
    }
    this.startSpan(exchange, raw, parent, fastPath);
  }

  onResponse(exchange: TracedExchange): void {
    // What timers and promises made during the request keep (their async context frame) shrinks to the ids.
    exchange.requestContext?.release();
    const span = exchange.span;
    if (span === undefined) return;
    if (exchange.ownsSpan) {
      this.complete(exchange, span);
      span.end();
    }
  }

  private startSpan(exchange: TracedExchange, raw: IncomingMessage, parent: Context, fastPath: FastPath | null): void {
    const method = normalizeMethod(exchange.method);
    const name = method === '_OTHER' ? 'HTTP' : method;
    let span: Span;
    if (fastPath !== null) {
      // Sampled already: the module's sampler needs no attributes, so they are all set once, at the end.
      try {
        span = this.tracer.startSpan(name, { kind: SpanKind.SERVER }, parent);
      } finally {
        fastPath.sampling.idGenerator.clearPreset();
      }
      exchange.attributesAtEnd = true;
    } else {
      // Another sampler may look at the request attributes: give them at the start.
      span = this.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method } }, parent);
      if (span.isRecording()) span.setAttributes(requestAttributes(exchange, method));
    }
    exchange.span = span;
    exchange.ownsSpan = true;
    this.enter(exchange, raw, new RequestContext(parent, span));
  }

  /** Runs the rest of the request in `spanContext`. */
  private enter(exchange: TracedExchange, raw: IncomingMessage, spanContext: RequestContext | UnsampledSpan): void {
    exchange.requestContext = spanContext;
    // Body parsers read the request stream in listeners that would run outside the request's context:
    // bind them to it. A request without a body (most GETs) needs no binding, which is not free.
    const headers = exchange.headers;
    if (headers['content-length'] !== undefined ? headers['content-length'] !== '0' : headers['transfer-encoding'] !== undefined) {
      context.bind(spanContext, raw);
    }
    exchange.run = runInRequestContext;
  }

  /**
   * An auto-instrumentation ends its span when the response ends, before `close`: enrich the span
   * just before that, when the route and the status are known.
   */
  private adopt(exchange: TracedExchange, span: Span): void {
    exchange.span = span;
    exchange.ownsSpan = false;
    const response = exchange.response as { end: (...args: unknown[]) => unknown };
    const end = response.end;
    const complete = () => this.complete(exchange, span);
    response.end = function (this: unknown, ...args: unknown[]) {
      response.end = end;
      complete();
      return end.apply(this, args);
    };
  }

  private complete(exchange: TracedExchange, span: Span): void {
    if (exchange.route === undefined) exchange.route = readRoute(exchange);
    if (!span.isRecording()) return;
    const method = normalizeMethod(exchange.method);
    const status = exchange.ownsSpan ? recordedStatus(exchange) : exchange.response.statusCode;
    // Pairs, not an object: a span of the module's own takes this array as its attribute list.
    const pairs: unknown[] = new Array((REQUEST_ATTRIBUTES_MAX + 4) * 2);
    let n = 0;
    if (exchange.attributesAtEnd) {
      n = writeRequestAttributes(pairs, 0, exchange, method);
      pairs[n++] = 'http.request.method';
      pairs[n++] = method;
    }
    pairs[n++] = 'http.response.status_code';
    pairs[n++] = status;
    if (exchange.route !== undefined) {
      pairs[n++] = 'http.route';
      pairs[n++] = exchange.route;
      span.updateName(this.names.name(method, exchange.route));
    }
    if (status >= 500) {
      pairs[n++] = 'error.type';
      pairs[n++] = String(status);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    pairs.length = n;
    if (span instanceof ObservabilitySpan) span.setAttributePairs(pairs);
    else span.setAttributes(pairsToAttributes(pairs));
  }
}

/**
 * `exchange.run`: the rest of the request in the exchange's context. One function for every request,
 * called as a method of the exchange, instead of a closure per request (which the request's async
 * context frame would keep, and V8 promote, as it does the context).
 */
function runInRequestContext(this: TracedExchange, next: () => void): void {
  context.with(this.requestContext!, next);
}

/** Whether the request carries any header of the propagator (a parent, trace state or baggage). */
function carriesContext(headers: IncomingHttpHeaders, fields: readonly string[]): boolean {
  for (let i = 0; i < fields.length; i++) if (headers[fields[i]] !== undefined) return true;
  return false;
}
