/** One HTTP request as the adapter-level hook sees it, shared by every listener. */
export interface HttpExchange {
  /** `performance.now()` when the request reached the adapter. */
  readonly start: number;
  /** Request method as sent. */
  readonly method: string;
  /** URL path, without the query string. */
  readonly path: string;
  /** Adapter request object (Express `Request` or `FastifyRequest`). */
  readonly request: any;
  /** The Node.js request under `request` (`request.raw` on Fastify, `request` itself on Express). */
  readonly raw: import('node:http').IncomingMessage;
  /**
   * `raw.headers`, read once when the request arrived. Node builds that object in a getter, and later in
   * the request, once Express has added its properties to the request, each read of it costs a
   * megamorphic lookup.
   */
  readonly headers: import('node:http').IncomingHttpHeaders;
  /** Whether `request` is a `FastifyRequest` (else an Express request). */
  readonly fastify: boolean;
  /** Node.js response. */
  readonly response: import('node:http').ServerResponse;
  /**
   * Set when the response closed: `true` when the connection closed before the response was complete
   * (the client went away). Such a request is recorded with status 499 (see `recordedStatus()`).
   */
  aborted?: boolean;
  /** Route template once known (e.g. `/orders/:id`); `undefined` for a request that matched no route. */
  route?: string;
  /**
   * Appended to the route by `readRoute()` (e.g. `query OrderById` for `/graphql query OrderById`), set by a part
   * that knows more than the router; its values must already be bounded.
   */
  routeDetail?: string;
  /** The request's server span, when tracing covers it; metrics read it for exemplars. */
  span?: import('@opentelemetry/api').Span;
  /**
   * Set by a listener that must run the rest of the request inside a context (the active span); called as
   * a method of the exchange (`exchange.run(next)`), so that one function can serve every request.
   */
  run?: (this: HttpExchange, next: () => void) => void;
}

/** Where the adapter-level hook leaves the exchange on the adapter request, for parts that only get the request. */
export const HTTP_EXCHANGE = Symbol('nestjs-observability:http-exchange');

/** A part (metrics, tracing) that observes HTTP requests at the adapter. */
export interface HttpExchangeListener {
  /** Called when the request arrives, before any middleware. */
  onRequest?(exchange: HttpExchange): void;
  /** Called once the response is finished or the connection closed; `exchange.route` is set. */
  onResponse(exchange: HttpExchange): void;
}
