import { HttpExchange } from './http-exchange.interface';

/**
 * The route template the adapter matched (`/orders/:id`), or `undefined` for a request that matched
 * none. Express keeps the matched route on the request (Nest mounts routes on the app itself, so the
 * base URL is empty unless a sub-app is mounted); Fastify knows the route it matched, and its 404
 * handler has none.
 */
export function readRoute(exchange: HttpExchange): string | undefined {
  const route = matchedRoute(exchange);
  if (exchange.routeDetail === undefined) return route;
  // A middleware (Apollo on Express) matches no route: the path it is mounted on stands for it.
  return `${route ?? exchange.path} ${exchange.routeDetail}`;
}

function matchedRoute(exchange: HttpExchange): string | undefined {
  const request = exchange.request;
  if (exchange.fastify) {
    if (request.is404) return undefined;
    const url = request.routeOptions?.url;
    return typeof url === 'string' ? url : undefined;
  }
  const path = request.route?.path;
  return typeof path === 'string' ? (request.baseUrl ?? '') + path : undefined;
}

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'QUERY']);

/**
 * The request method as OpenTelemetry's semantic conventions record it: a known method as is,
 * anything else as `_OTHER`, so that made-up methods cannot create new series or span names.
 */
export function normalizeMethod(method: string): string {
  return KNOWN_METHODS.has(method) ? method : '_OTHER';
}

/**
 * Status recorded for a request whose client closed the connection before the response was complete:
 * Nginx's 499 "Client Closed Request", in the HTTP metrics and on the server span, so dashboards can
 * tell aborted requests from the successes they would otherwise look like.
 */
export const CLIENT_CLOSED_REQUEST = 499;

/** The status to record: the response's, or 499 when the client went away before the response finished. */
export function recordedStatus(exchange: HttpExchange): number {
  return exchange.aborted === true ? CLIENT_CLOSED_REQUEST : exchange.response.statusCode;
}
