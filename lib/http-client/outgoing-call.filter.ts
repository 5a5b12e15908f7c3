import { ResolvedHttpClientOptions } from './http-client-options.interface';
import { Destination, OutgoingTarget, urlWithoutQuery } from './outgoing-call';

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
    if (this.isOwn(target, this.isLoopback(target))) return false;
    return this.recordsHost(target) && this.recordsUrl(target, target.path);
  }

  /** Whether calls to this host and port are recorded (`httpClient.hosts`): the same for every call there, so it is cached per destination. */
  recordsHost(destination: Destination): boolean {
    if (this.deny.some((p) => p(destination))) return false;
    return this.allow === null || this.allow.some((p) => p(destination));
  }

  /** Whether the destination is a loopback address (then the app's own ports are left out). */
  isLoopback(destination: Destination): boolean {
    return LOOPBACK.has(destination.host);
  }

  /** Whether a call to a loopback destination goes to one of the app's own ports, read at call time (the app may listen late). */
  isOwn(destination: Destination, loopback: boolean): boolean {
    return loopback && this.ownPort(destination.port);
  }

  /** Whether `excludeUrls` leaves the call in; the URL is built only when there are rules. */
  recordsUrl(destination: Destination, path: string): boolean {
    if (this.excludeUrls.length === 0) return true;
    const url = urlWithoutQuery(destination, path);
    for (const rule of this.excludeUrls) if (typeof rule === 'string' ? url.startsWith(rule) : rule.test(url)) return false;
    return true;
  }

  /** The first `httpClient.urlTemplates` entry the call's path (query and fragment ignored) matches, if any. */
  template(path: string): string | undefined {
    if (this.templates.length === 0) return undefined;
    for (const { template, segments } of this.templates) if (matches(path, segments)) return template;
    return undefined;
  }
}

/**
 * Whether `path` has exactly the segments of a template (`null` for a `{name}`: any non-empty segment),
 * compared in place: no split, nothing allocated per call.
 */
function matches(path: string, segments: Array<string | null>): boolean {
  let end = path.length;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) {
      end = i;
      break;
    }
  }
  let start = 0;
  for (let s = 0; s < segments.length; s++) {
    if (start > end) return false;
    let stop = path.indexOf('/', start);
    if (stop === -1 || stop > end) stop = end;
    const segment = segments[s];
    if (segment === null) {
      if (stop === start) return false;
    } else if (stop - start !== segment.length || !path.startsWith(segment, start)) {
      return false;
    }
    start = stop + 1;
  }
  // Every segment of the path was used.
  return start === end + 1;
}

type HostPattern = (target: Destination) => boolean;

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
