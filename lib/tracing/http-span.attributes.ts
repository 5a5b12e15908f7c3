import type { Attributes } from '@opentelemetry/api';
import { HttpExchange } from '../instrumentation/http-exchange.interface';

/**
 * Longest value kept of a string the client controls (`url.path`, `user_agent.original`,
 * `server.address`, `http.request.method_original`); longer ones are cut to this many characters.
 */
export const MAX_CLIENT_STRING_LENGTH = 256;

/**
 * The request attributes of a server span, after the OpenTelemetry HTTP semantic conventions (none of
 * them is opt-in there: `client.address`, `network.protocol.version`, `server.address` and
 * `user_agent.original` are "recommended", the others required). What comes from the client is checked:
 * a `Host` port that is not a port number is left out, and strings are bounded.
 */
export function requestAttributes(exchange: HttpExchange, method: string): Attributes {
  const pairs: unknown[] = new Array(REQUEST_ATTRIBUTES_MAX * 2);
  pairs.length = writeRequestAttributes(pairs, 0, exchange, method);
  return pairsToAttributes(pairs);
}

/** `[key, value, …]` pairs as an `Attributes` object (for a span that is not the module's own). */
export function pairsToAttributes(pairs: readonly unknown[]): Attributes {
  const attributes: Attributes = {};
  for (let i = 0; i < pairs.length; i += 2) attributes[pairs[i] as string] = pairs[i + 1] as Attributes[string];
  return attributes;
}

/** How many attributes {@link writeRequestAttributes} writes at most. */
export const REQUEST_ATTRIBUTES_MAX = 8;

/**
 * {@link requestAttributes} as `[key, value, …]` pairs written into `pairs` from index `at` (the form
 * a span of the module's own takes as is, see `ObservabilitySpan.setAttributePairs`). Returns the index
 * after the last pair.
 */
export function writeRequestAttributes(pairs: unknown[], at: number, exchange: HttpExchange, method: string): number {
  const raw = exchange.raw;
  let n = at;
  pairs[n++] = 'url.path';
  pairs[n++] = bounded(exchange.path);
  pairs[n++] = 'url.scheme';
  pairs[n++] = (raw.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http';
  pairs[n++] = 'network.protocol.version';
  pairs[n++] = raw.httpVersion;
  if (method === '_OTHER') {
    pairs[n++] = 'http.request.method_original';
    pairs[n++] = bounded(exchange.method);
  }
  const headers = exchange.headers;
  const host = headers.host;
  if (host) {
    const colon = host.lastIndexOf(':');
    const bracket = host.lastIndexOf(']');
    pairs[n++] = 'server.address';
    if (colon > bracket) {
      pairs[n++] = bounded(host.slice(0, colon));
      const port = parsePort(host.slice(colon + 1));
      if (port !== undefined) {
        pairs[n++] = 'server.port';
        pairs[n++] = port;
      }
    } else {
      pairs[n++] = bounded(host);
    }
  }
  const userAgent = headers['user-agent'];
  if (userAgent) {
    pairs[n++] = 'user_agent.original';
    pairs[n++] = bounded(userAgent);
  }
  const client = raw.socket?.remoteAddress;
  if (client) {
    pairs[n++] = 'client.address';
    pairs[n++] = client;
  }
  return n;
}

/** A TCP port (1–65535 in decimal digits), or `undefined`. */
export function parsePort(text: string): number | undefined {
  if (text.length === 0 || text.length > 5) return undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** `value`, cut to `MAX_CLIENT_STRING_LENGTH` characters. */
export function bounded(value: string): string {
  return value.length > MAX_CLIENT_STRING_LENGTH ? value.slice(0, MAX_CLIENT_STRING_LENGTH) : value;
}
