import { Destination, httpDestination, originOf, undiciDestination } from './outgoing-call';
import { OutgoingCallFilter } from './outgoing-call.filter';

/** Distinct origins kept before the cache starts over (an app calls a handful; a crawler, any number). */
const MAX_DESTINATIONS = 256;
/** Distinct `url.full` values kept per destination, for sampled calls. */
const MAX_URLS = 64;

/**
 * A destination as the module has met it: parsed once, with what every call there shares (whether its
 * host is recorded, its origin for `url.full`, its histogram labels) and the last histogram child used
 * for it, so that the common call (same method, status and template as the last one) looks nothing up.
 */
export class KnownDestination implements Destination {
  /** `scheme://host[:port]` as `url.full` starts. */
  readonly origin: string;
  /** `server_address` / `server_port` labels, set on the first recorded call (`maxServers` may make them `OTHER`). */
  serverAddress: string | undefined = undefined;
  serverPort = '';
  lastMethod = '';
  lastStatus: number | undefined = -1;
  lastTemplate: string | undefined = undefined;
  lastChild: unknown = null;
  private urls: Map<string, string> | null = null;

  constructor(
    readonly scheme: string,
    readonly host: string,
    readonly port: number,
    /** `httpClient.hosts` lets calls here be recorded. */
    readonly recordsHost: boolean,
    /** A loopback address: the app's own ports there are not recorded. */
    readonly loopback: boolean,
  ) {
    this.origin = originOf(this);
  }

  /** `url.full` for `path`, made by `make` once per distinct path (bounded). */
  url(path: string, make: (destination: KnownDestination, path: string) => string): string {
    let url = this.urls?.get(path);
    if (url === undefined) {
      url = make(this, path);
      const urls = (this.urls ??= new Map());
      if (urls.size >= MAX_URLS) urls.clear();
      urls.set(path, url);
    }
    return url;
  }
}

/**
 * The destinations of one subscriber, by the text the request names them with (undici's `origin`, the
 * Host header of a `ClientRequest`): the per-call work is one Map lookup, not a parse. Per instance, as
 * everything of the module: two apps in one process keep their own.
 */
export class DestinationCache {
  private readonly undici = new Map<string, KnownDestination | null>();
  private readonly http = new Map<string, KnownDestination | null>();

  constructor(private readonly filter: OutgoingCallFilter) {}

  /** The destination of an undici request's `origin`, or `null` when it names none. */
  ofOrigin(origin: string): KnownDestination | null {
    let known = this.undici.get(origin);
    if (known === undefined) known = this.keep(this.undici, origin, undiciDestination(origin));
    return known;
  }

  /** The destination of a `ClientRequest` (`protocol`, and its Host header or host), or `null`. */
  ofHttp(protocol: string | undefined, authority: string): KnownDestination | null {
    const key = protocol === undefined || protocol === 'http:' ? authority : `${protocol}//${authority}`;
    let known = this.http.get(key);
    if (known === undefined) known = this.keep(this.http, key, httpDestination(protocol, authority));
    return known;
  }

  private keep(map: Map<string, KnownDestination | null>, key: string, destination: Destination | undefined): KnownDestination | null {
    const known =
      destination === undefined
        ? null
        : new KnownDestination(destination.scheme, destination.host, destination.port, this.filter.recordsHost(destination), this.filter.isLoopback(destination));
    if (map.size >= MAX_DESTINATIONS) map.clear();
    map.set(key, known);
    return known;
  }
}
