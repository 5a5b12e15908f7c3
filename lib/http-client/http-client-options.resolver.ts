import { ObservabilityConfigError } from '../observability-config.error';
import { DEFAULT_HTTP_BUCKETS } from '../observability.constants';
import { checkBuckets } from '../observability-options.resolver';
import { HttpClientOptions, ResolvedHttpClientOptions } from './http-client-options.interface';

const KEYS = ['hosts', 'excludeUrls', 'urlTemplates', 'rootSpans', 'buckets', 'maxServers'];
const HOST_KEYS = ['allow', 'deny'];
// A host name or address, optionally `*.` in front and `:port` behind (IPv6 in brackets).
const HOST_ENTRY = /^(\*\.)?([a-z0-9_.-]+|\[[0-9a-f:.]+\])(:\d{1,5})?$/i;
const TEMPLATE = /^\/([^/?#\s]*)(\/[^/?#\s]*)*$/;

/**
 * Applies the defaults of `httpClient` and validates it (called by `resolveObservabilityOptions`, the
 * one place where options are resolved). On by default; `false` switches the part off.
 */
export function resolveHttpClientOptions(input: false | HttpClientOptions | undefined): ResolvedHttpClientOptions {
  const c = input === false || input === undefined ? {} : input;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) throw ObservabilityConfigError.invalidOption('httpClient', 'an object or false', c);
  for (const key of Object.keys(c)) {
    if (!KEYS.includes(key)) throw new ObservabilityConfigError(`Unknown option "httpClient.${key}". Known options of "httpClient": ${KEYS.join(', ')}.`);
  }
  const hosts = c.hosts ?? {};
  if (typeof hosts !== 'object' || hosts === null || Array.isArray(hosts)) {
    throw ObservabilityConfigError.invalidOption('httpClient.hosts', 'an object { allow?, deny? }', hosts);
  }
  for (const key of Object.keys(hosts)) {
    if (!HOST_KEYS.includes(key)) throw new ObservabilityConfigError(`Unknown option "httpClient.hosts.${key}". Known options of "httpClient.hosts": allow, deny.`);
  }
  const hostList = (key: 'allow' | 'deny'): string[] | undefined => {
    const list = hosts[key];
    if (list === undefined) return undefined;
    if (!Array.isArray(list) || list.some((h) => typeof h !== 'string' || !HOST_ENTRY.test(h))) {
      throw ObservabilityConfigError.invalidOption(`httpClient.hosts.${key}`, 'an array of host names or addresses, optionally "*." in front and ":port" behind, like ["pricing:8080", "*.example.com"]', list);
    }
    return list.map((h) => h.toLowerCase());
  };
  const excludeUrls = c.excludeUrls ?? [];
  if (!Array.isArray(excludeUrls) || excludeUrls.some((u) => !(u instanceof RegExp) && (typeof u !== 'string' || !/^https?:\/\/./i.test(u)))) {
    throw ObservabilityConfigError.invalidOption('httpClient.excludeUrls', 'an array of URL prefixes ("http://host:port/path") and RegExps', excludeUrls);
  }
  const urlTemplates = c.urlTemplates ?? [];
  if (!Array.isArray(urlTemplates) || urlTemplates.some((t) => typeof t !== 'string' || !TEMPLATE.test(t))) {
    throw ObservabilityConfigError.invalidOption('httpClient.urlTemplates', 'an array of path templates that start with "/", like ["/prices/{item}"]', urlTemplates);
  }
  if (c.rootSpans !== undefined && typeof c.rootSpans !== 'boolean') throw ObservabilityConfigError.invalidOption('httpClient.rootSpans', 'a boolean', c.rootSpans);
  const maxServers = c.maxServers ?? 100;
  if (!Number.isInteger(maxServers) || maxServers < 1) throw ObservabilityConfigError.invalidOption('httpClient.maxServers', 'a whole number ≥ 1', maxServers);
  return {
    enabled: input !== false,
    allowHosts: hostList('allow') ?? null,
    denyHosts: hostList('deny') ?? [],
    // Prefixes compare against a lower-cased scheme and host, as the URL is built.
    excludeUrls: excludeUrls.map((u) => (typeof u === 'string' ? lowerOrigin(u) : u)),
    urlTemplates: [...urlTemplates],
    rootSpans: c.rootSpans ?? false,
    buckets: checkBuckets('httpClient.buckets', c.buckets ?? [...DEFAULT_HTTP_BUCKETS]),
    maxServers,
  };
}

function lowerOrigin(url: string): string {
  const slash = url.indexOf('/', url.indexOf('//') + 2);
  return slash === -1 ? url.toLowerCase() : url.slice(0, slash).toLowerCase() + url.slice(slash);
}
