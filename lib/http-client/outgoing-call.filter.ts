import { ResolvedHttpClientOptions } from './http-client-options.interface';
import { OutgoingTarget, pathOnly, urlWithoutQuery } from './outgoing-call';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '0.0.0.0', '::']);

/**
 * Which outgoing calls are recorded (`httpClient.hosts`, `httpClient.excludeUrls`; never a call of the
 * app to its own ports on a loopback address, the management port or the app's HTTP server, which the
 * server side measures already), and which URL template a recorded one matches.
 */
export class OutgoingCallFilter {
  private readonly allow: HostPattern[] | null;
  private readonly deny: HostPattern[];
  private readonly excludeUrls: Array<string | RegExp>;
  private readonly templates: Array<{ template: string; segments: Array<string | null> }>;

  constructor(
    options: ResolvedHttpClientOptions,
    /** Whether `port` is one of this app's own (the management server's, the HTTP server's), read at call time. */
    private readonly ownPort: (port: number) => boolean,
  ) {
    this.allow = options.allowHosts?.map(hostPattern) ?? null;
    this.deny = options.denyHosts.map(hostPattern);
    this.excludeUrls = options.excludeUrls;
    // `null` stands for a `{name}` segment.
    this.templates = options.urlTemplates.map((template) => ({
      template,
      segments: template.split('/').map((s) => (/^\{[^}]*\}$/.test(s) ? null : s)),
    }));
  }

  /** Whether the call is recorded (a span and the metric). */
  records(target: OutgoingTarget): boolean {
    if (LOOPBACK.has(target.host) && this.ownPort(target.port)) return false;
    if (this.deny.some((p) => p(target))) return false;
    if (this.allow !== null && !this.allow.some((p) => p(target))) return false;
    if (this.excludeUrls.length > 0) {
      const url = urlWithoutQuery(target);
      for (const rule of this.excludeUrls) if (typeof rule === 'string' ? url.startsWith(rule) : rule.test(url)) return false;
    }
    return true;
  }

  /** The first `httpClient.urlTemplates` entry the call's path matches, if any. */
  template(target: OutgoingTarget): string | undefined {
    if (this.templates.length === 0) return undefined;
    const segments = pathOnly(target).split('/');
    for (const { template, segments: pattern } of this.templates) {
      if (pattern.length !== segments.length) continue;
      let ok = true;
      for (let i = 0; i < pattern.length && ok; i++) ok = pattern[i] === null ? segments[i] !== '' : pattern[i] === segments[i];
      if (ok) return template;
    }
    return undefined;
  }
}

type HostPattern = (target: OutgoingTarget) => boolean;

function hostPattern(entry: string): HostPattern {
  let host = entry;
  let port: number | undefined;
  const colon = entry.lastIndexOf(':');
  if (colon > entry.lastIndexOf(']')) {
    host = entry.slice(0, colon);
    port = Number(entry.slice(colon + 1));
  }
  if (host.startsWith('[')) host = host.slice(1, -1);
  const wildcard = host.startsWith('*.');
  const suffix = wildcard ? host.slice(1) : '';
  return (target) => (port === undefined || target.port === port) && (wildcard ? target.host.endsWith(suffix) : target.host === host);
}
