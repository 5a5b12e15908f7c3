import type { Attributes } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
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
export function requestAttributes(exchange: HttpExchange, raw: IncomingMessage, method: string): Attributes {
  const attributes: Attributes = {
    'url.path': bounded(exchange.path),
    'url.scheme': (raw.socket as { encrypted?: boolean } | null)?.encrypted ? 'https' : 'http',
    'network.protocol.version': raw.httpVersion,
  };
  if (method === '_OTHER') attributes['http.request.method_original'] = bounded(exchange.method);
  const host = raw.headers.host;
  if (host) {
    const colon = host.lastIndexOf(':');
    const bracket = host.lastIndexOf(']');
    if (colon > bracket) {
      attributes['server.address'] = bounded(host.slice(0, colon));
      const port = parsePort(host.slice(colon + 1));
      if (port !== undefined) attributes['server.port'] = port;
    } else {
      attributes['server.address'] = bounded(host);
    }
  }
  const userAgent = raw.headers['user-agent'];
  if (userAgent) attributes['user_agent.original'] = bounded(userAgent);
  const client = raw.socket?.remoteAddress;
  if (client) attributes['client.address'] = client;
  return attributes;
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
