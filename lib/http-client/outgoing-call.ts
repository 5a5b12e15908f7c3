import { REDACTED, redactSecrets } from '../redaction/secret-redaction';
import { bounded, parsePort } from '../tracing/http-span.attributes';

/** Where an outgoing call goes: parsed once per origin and kept (`DestinationCache`). */
export interface Destination {
  /** `http` or `https`. */
  scheme: string;
  /** Host name or address, lower case, IPv6 without brackets. */
  host: string;
  port: number;
}

/** What the module reads of an outgoing call when it is created: where it goes and how. */
export interface OutgoingTarget extends Destination {
  /** As sent (`GET`, `post`, `PURGE`); normalized when recorded. */
  method: string;
  /** Path and query, as sent. */
  path: string;
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

/** The destination of an undici request (`fetch()` included) from its `origin`, `http://host:port`. */
export function undiciDestination(origin: string): Destination | undefined {
  const sep = origin.indexOf('://');
  if (sep === -1) return undefined;
  const slash = origin.indexOf('/', sep + 3);
  return fromAuthority(origin.slice(0, sep).toLowerCase(), origin.slice(sep + 3, slash === -1 ? undefined : slash));
}

/**
 * The destination of a `node:http`/`node:https` `ClientRequest`: `protocol` (`http:`) and the Host
 * header, which has the port unless it is the default (else `request.host`, the name alone).
 */
export function httpDestination(protocol: string | undefined, authority: string): Destination | undefined {
  if (authority === '') return undefined;
  const scheme = protocol === undefined || protocol === 'http:' ? 'http' : protocol.replace(/:$/, '').toLowerCase();
  return fromAuthority(scheme, authority);
}

/** The target of an undici request (`fetch()` included): `origin` is `http://host:port`. */
export function undiciTarget(request: object): OutgoingTarget | undefined {
  const r = request as { origin?: unknown; method?: unknown; path?: unknown };
  const destination = undiciDestination(String(r.origin ?? ''));
  return destination && { ...destination, method: String(r.method ?? 'GET'), path: requestPath(r.path) };
}

/** The target of a `node:http`/`node:https` `ClientRequest`. */
export function httpTarget(request: { method?: string; protocol?: string; host?: string; path?: string; getHeader(name: string): unknown }): OutgoingTarget | undefined {
  const destination = httpDestination(request.protocol, httpAuthority(request));
  return destination && { ...destination, method: request.method ?? 'GET', path: requestPath(request.path) };
}

/** The authority a `ClientRequest` goes to: its Host header, else `request.host`. */
export function httpAuthority(request: { host?: string; getHeader(name: string): unknown }): string {
  const header = request.getHeader('host');
  return typeof header === 'string' && header !== '' ? header : (request.host ?? '');
}

/** The path (and query) of a request as sent, `/` when empty. */
export function requestPath(path: unknown): string {
  return typeof path === 'string' ? (path === '' ? '/' : path) : path === undefined || path === null ? '/' : String(path);
}

function fromAuthority(scheme: string, authority: string): Destination {
  const at = authority.lastIndexOf('@');
  if (at !== -1) authority = authority.slice(at + 1); // credentials are never kept
  let host = authority;
  let port = DEFAULT_PORTS[scheme] ?? 80;
  const colon = authority.lastIndexOf(':');
  const bracket = authority.lastIndexOf(']');
  if (colon > bracket) {
    host = authority.slice(0, colon);
    port = parsePort(authority.slice(colon + 1)) ?? port;
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { scheme, host: host.toLowerCase(), port };
}

/** `scheme://host[:port]/path` without the query, default ports left out: what `excludeUrls` is matched against. */
export function urlWithoutQuery(destination: Destination, path: string): string {
  return originOf(destination) + pathOnly(path);
}

/** The path without query or fragment, for template matching. */
export function pathOnly(path: string): string {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) return path.slice(0, i);
  }
  return path;
}

/**
 * `url.full` as the OpenTelemetry conventions want it for a client span: no credentials (the module
 * never reads them), every query value replaced by `REDACTED` (tokens and signatures travel there), no
 * fragment, then the module's secret redaction over it, bounded in length.
 */
export function redactedUrl(destination: Destination & { origin?: string }, path: string): string {
  const origin = destination.origin ?? originOf(destination);
  const q = path.indexOf('?');
  let query = '';
  if (q !== -1) {
    const hash = path.indexOf('#', q);
    const raw = path.slice(q + 1, hash === -1 ? undefined : hash);
    query = '?' + raw.split('&').map((pair) => (pair.includes('=') ? `${pair.slice(0, pair.indexOf('='))}=${REDACTED_VALUE}` : pair)).join('&');
  }
  const hash = path.indexOf('#');
  const bare = path.slice(0, q !== -1 ? q : hash !== -1 ? hash : undefined);
  // The origin has no credentials (never read) and the query no values left: only the path may still
  // quote a secret (`/reset/password=…`).
  return bounded(origin + redactSecrets(bare).replaceAll(REDACTED, REDACTED_VALUE) + query);
}

/** What OpenTelemetry's conventions write in place of a redacted value. */
const REDACTED_VALUE = 'REDACTED';

/** `scheme://host[:port]`, the default port left out, IPv6 in brackets. */
export function originOf(destination: Destination): string {
  const host = destination.host.includes(':') ? `[${destination.host}]` : destination.host;
  return `${destination.scheme}://${host}${DEFAULT_PORTS[destination.scheme] === destination.port ? '' : `:${destination.port}`}`;
}
