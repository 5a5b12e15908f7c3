import { REDACTED, redactSecrets } from '../redaction/secret-redaction';
import { bounded, parsePort } from '../tracing/http-span.attributes';

/** What the module reads of an outgoing call when it is created: where it goes and how. */
export interface OutgoingTarget {
  /** As sent (`GET`, `post`, `PURGE`); normalized when recorded. */
  method: string;
  /** `http` or `https`. */
  scheme: string;
  /** Host name or address, lower case, IPv6 without brackets. */
  host: string;
  port: number;
  /** Path and query, as sent. */
  path: string;
}

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443 };

/** The target of an undici request (`fetch()` included): `origin` is `http://host:port`. */
export function undiciTarget(request: object): OutgoingTarget | undefined {
  const r = request as { origin?: unknown; method?: unknown; path?: unknown };
  const origin = String(r.origin ?? '');
  const sep = origin.indexOf('://');
  if (sep === -1) return undefined;
  const scheme = origin.slice(0, sep).toLowerCase();
  const authority = origin.slice(sep + 3).replace(/\/.*$/, '');
  return withAuthority(scheme, authority, String(r.method ?? 'GET'), String(r.path ?? '/'));
}

/** The target of a `node:http`/`node:https` `ClientRequest`. */
export function httpTarget(request: { method?: string; protocol?: string; host?: string; path?: string; getHeader(name: string): unknown }): OutgoingTarget | undefined {
  const scheme = (request.protocol ?? 'http:').replace(/:$/, '').toLowerCase();
  // The Host header has the port unless it is the default; `request.host` has the name alone.
  const header = request.getHeader('host');
  const authority = typeof header === 'string' && header !== '' ? header : (request.host ?? '');
  if (authority === '') return undefined;
  return withAuthority(scheme, authority, request.method ?? 'GET', request.path ?? '/');
}

function withAuthority(scheme: string, authority: string, method: string, path: string): OutgoingTarget {
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
  return { method, scheme, host: host.toLowerCase(), port, path: path === '' ? '/' : path };
}

/** `scheme://host[:port]/path` without the query, default ports left out: what `excludeUrls` is matched against. */
export function urlWithoutQuery(target: OutgoingTarget): string {
  const q = target.path.search(/[?#]/);
  return origin(target) + (q === -1 ? target.path : target.path.slice(0, q));
}

/** The path without query, for template matching. */
export function pathOnly(target: OutgoingTarget): string {
  const q = target.path.search(/[?#]/);
  return q === -1 ? target.path : target.path.slice(0, q);
}

/**
 * `url.full` as the OpenTelemetry conventions want it for a client span: no credentials (the module
 * never reads them), every query value replaced by `REDACTED` (tokens and signatures travel there), no
 * fragment, then the module's secret redaction over it, bounded in length.
 */
export function redactedUrl(target: OutgoingTarget): string {
  const path = target.path;
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
  return bounded(origin(target) + redactSecrets(bare).replaceAll(REDACTED, REDACTED_VALUE) + query);
}

/** What OpenTelemetry's conventions write in place of a redacted value. */
const REDACTED_VALUE = 'REDACTED';

function origin(target: OutgoingTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.scheme}://${host}${DEFAULT_PORTS[target.scheme] === target.port ? '' : `:${target.port}`}`;
}
