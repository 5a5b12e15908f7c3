import { Attributes, context, propagation, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, TextMapGetter, trace, Tracer } from '@opentelemetry/api';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { HttpExchange, HttpExchangeListener } from '../instrumentation/http-exchange.interface';
import { normalizeMethod, readRoute } from '../instrumentation/http-route';
import { PathMatcher } from '../metrics/path-matcher';


const HEADER_GETTER: TextMapGetter<IncomingHttpHeaders> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

interface TracedExchange extends HttpExchange {
  /** Whether this listener created the span (and so ends it). */
  ownsSpan?: boolean;
}

/**
 * One server span per HTTP request, started in the adapter-level hook so that it covers middleware,
 * guards, pipes, the handler and exception filters, and ended when the response closes, with the final
 * status. Named `GET /orders/:id` once the route is known; attributes follow the OpenTelemetry HTTP
 * semantic conventions. An incoming `traceparent` is continued. When an HTTP auto-instrumentation has
 * already started a server span for the request, that span is enriched and renamed instead.
 */
export class HttpTracingListener implements HttpExchangeListener {
  private readonly excluded: PathMatcher;

  constructor(
    private readonly tracer: Tracer,
    excludePaths: string[],
  ) {
    this.excluded = new PathMatcher(excludePaths);
  }

  onRequest(exchange: TracedExchange): void {
    if (this.excluded.matches(exchange.path)) return;
    const raw: IncomingMessage = exchange.request.raw ?? exchange.request;
    const active = context.active();
    const existing = trace.getSpan(active);
    if (existing !== undefined && existing.isRecording() && (existing as { kind?: SpanKind }).kind === SpanKind.SERVER) {
      this.adopt(exchange, existing);
      return;
    }
    const method = normalizeMethod(exchange.method);
    const parent = propagation.extract(ROOT_CONTEXT, raw.headers, HEADER_GETTER);
    const span = this.tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: SpanKind.SERVER, attributes: { 'http.request.method': method } }, parent);
    if (span.isRecording()) span.setAttributes(requestAttributes(exchange, raw, method));
    const spanContext = trace.setSpan(parent, span);
    exchange.span = span;
    exchange.ownsSpan = true;
    // Body parsers read the request stream in listeners that would run outside the request's context:
    // bind them to it. A request without a body (most GETs) needs no binding, which is not free.
    if (raw.headers['content-length'] !== undefined ? raw.headers['content-length'] !== '0' : raw.headers['transfer-encoding'] !== undefined) {
      context.bind(spanContext, raw);
    }
    exchange.run = (next) => context.with(spanContext, next);
  }

  onResponse(exchange: TracedExchange): void {
    const span = exchange.span;
    if (span === undefined) return;
    if (exchange.ownsSpan) {
      this.complete(exchange, span);
      span.end();
    }
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
    if (span.isRecording()) {
      const status = exchange.response.statusCode;
      const method = normalizeMethod(exchange.method);
      const spanMethod = method === '_OTHER' ? 'HTTP' : method;
      const attributes: Attributes = { 'http.response.status_code': status };
      if (exchange.route !== undefined) {
        attributes['http.route'] = exchange.route;
        span.updateName(`${spanMethod} ${exchange.route}`);
      }
      if (status >= 500) {
        attributes['error.type'] = String(status);
        span.setStatus({ code: SpanStatusCode.ERROR });
      }
      if (!exchange.response.writableFinished && exchange.ownsSpan) attributes['observability.aborted'] = true;
      span.setAttributes(attributes);
    }
  }
}

function requestAttributes(exchange: HttpExchange, raw: IncomingMessage, method: string): Attributes {
  const attributes: Attributes = {
    'url.path': exchange.path,
    'url.scheme': (raw.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http',
    'network.protocol.version': raw.httpVersion,
  };
  if (method === '_OTHER') attributes['http.request.method_original'] = exchange.method;
  const host = raw.headers.host;
  if (host) {
    const colon = host.lastIndexOf(':');
    const bracket = host.lastIndexOf(']');
    if (colon > bracket) {
      attributes['server.address'] = host.slice(0, colon);
      attributes['server.port'] = Number(host.slice(colon + 1));
    } else {
      attributes['server.address'] = host;
    }
  }
  const userAgent = raw.headers['user-agent'];
  if (userAgent) attributes['user_agent.original'] = userAgent;
  const client = raw.socket?.remoteAddress;
  if (client) attributes['client.address'] = client;
  return attributes;
}
