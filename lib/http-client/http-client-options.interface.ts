/**
 * Options of the outgoing HTTP part: a CLIENT span and `http_client_request_duration_seconds` for every
 * `fetch()`, `undici` and `http`/`https` call the app makes, from Node's diagnostics channels.
 *
 * @example
 * { hosts: { deny: ['*.internal.example.com'] }, urlTemplates: ['/prices/{item}'] }
 */
export interface HttpClientOptions {
  /**
   * Hosts whose calls are recorded. `allow` (when given) lists the only ones; `deny` removes some. An
   * entry is a host name or address (`pricing`, `127.0.0.1`), optionally with a port (`pricing:8080`),
   * and `*.` matches any subdomain (`*.example.com`). Case is ignored.
   * @default { allow: undefined, deny: [] } (every host)
   * @example { allow: ['pricing', '*.svc.cluster.local'] }
   */
  hosts?: { allow?: string[]; deny?: string[] };
  /**
   * Calls that are not recorded: a string is a prefix of the URL without its query
   * (`http://pricing:8080/health`, default ports left out), a RegExp is tested against that URL.
   * `traceparent` is still propagated to them. The OTLP export and the module's management port are
   * never recorded, whatever this says.
   * @default []
   * @example ['http://vault:8200/', /\/health\/(live|ready)$/]
   */
  excludeUrls?: Array<string | RegExp>;
  /**
   * URL path templates (`/prices/{item}`: a `{name}` stands for one path segment). A call whose path
   * matches one gets the span name `GET /prices/{item}`, the `url.template` attribute and the
   * `url_template` label (which the histogram has only when this is not empty); the first match wins.
   * @default []
   * @example ['/prices/{item}', '/orders/{id}/lines']
   */
  urlTemplates?: string[];
  /**
   * Give a call made outside any span (at boot, in a plain timer) a root CLIENT span of its own. Off:
   * such calls are measured but start no trace, as with OpenTelemetry's `requireParentforOutgoingSpans`.
   * @default false
   */
  rootSpans?: boolean;
  /**
   * Buckets (seconds) of `http_client_request_duration_seconds`.
   * @default OpenTelemetry's advice for `http.client.request.duration` (5 ms to 10 s)
   */
  buckets?: number[];
  /**
   * Most distinct `server_address`/`server_port` pairs in the histogram; calls to further ones are
   * recorded as `server_address="OTHER"` (and a warning is logged once). Spans keep the real address.
   * @default 100
   */
  maxServers?: number;
}

/** `httpClient` after defaults were applied. */
export interface ResolvedHttpClientOptions {
  enabled: boolean;
  allowHosts: string[] | null;
  denyHosts: string[];
  excludeUrls: Array<string | RegExp>;
  urlTemplates: string[];
  rootSpans: boolean;
  buckets: number[];
  maxServers: number;
}
