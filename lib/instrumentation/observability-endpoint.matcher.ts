import { VERSION_NEUTRAL, VersioningOptions, VersioningType } from '@nestjs/common';
import { joinPaths, observabilityEndpointPaths } from '../observability-endpoint.util';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';

/** What the matcher needs to know of the app's routing: `ApplicationConfig` of `@nestjs/core` has both. */
export interface AppRouting {
  getGlobalPrefix(): string;
  getVersioning?(): VersioningOptions | undefined;
}

/**
 * Recognises a request for one of the module's own endpoints (/metrics, the probes), wherever the app
 * really serves them: with and without the global prefix (`app.setGlobalPrefix('api')`, its `exclude`
 * list), under URI versioning's default version, whatever `metrics.path` and `health.path` say, and in
 * any case, with trailing or doubled slashes (Express routes `/METRICS/` to `/metrics`). On Fastify the
 * route that matched is known before the hook runs and is compared too.
 * The one place that says "this request is the module's own": the HTTP hook skips metrics and spans for
 * it, and a server of the module's own (the management port) can reuse it.
 *
 * @example
 * const matcher = ObservabilityEndpointMatcher.create(options, app.get(ApplicationConfig));
 * matcher.matches('/API/Metrics/'); // true with app.setGlobalPrefix('api')
 */
export class ObservabilityEndpointMatcher {
  private constructor(private readonly paths: ReadonlySet<string>) {}

  /** The matcher of a module instance's endpoints; `routing` is read once, after the app configured it. */
  static create(options: Pick<ResolvedObservabilityOptions, 'metrics' | 'health'>, routing?: AppRouting): ObservabilityEndpointMatcher {
    const prefix = routing?.getGlobalPrefix() ?? '';
    const versions = uriVersionSegments(routing?.getVersioning?.());
    const paths = new Set<string>();
    for (const { path } of observabilityEndpointPaths(options)) {
      for (const version of versions) {
        paths.add(normalizeRequestPath(joinPaths(version, path)));
        if (prefix) paths.add(normalizeRequestPath(joinPaths(prefix, version, path)));
      }
    }
    return new ObservabilityEndpointMatcher(paths);
  }

  /** Whether a request path (without query string), or the route template that matched it, is one of the module's endpoints. */
  matches(path: string, route?: string): boolean {
    if (this.paths.has(path)) return true;
    if (this.paths.has(normalizeRequestPath(path))) return true;
    return route !== undefined && this.paths.has(normalizeRequestPath(route));
  }

  /** The normalised paths it recognises, for logs and tests. */
  list(): string[] {
    return [...this.paths];
  }
}

/**
 * The path of a request target as Node gives it (`req.url`): without query string or fragment, and
 * without the scheme and authority of an absolute-form target (`GET http://host/metrics`), which
 * Express routes by its path. A client may send a `#fragment`; Express's URL parser drops it.
 * @example requestPath('http://host:80/metrics?x#y') // '/metrics'
 */
export function requestPath(url: string): string {
  let end = url.length;
  for (let i = 0; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) {
      end = i;
      break;
    }
  }
  const path = end === url.length ? url : url.slice(0, end);
  if (path.charCodeAt(0) === 47 /* / */) return path;
  const absolute = ABSOLUTE_FORM.exec(path);
  return absolute ? path.slice(absolute[0].length) || '/' : path;
}

const ABSOLUTE_FORM = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i;

/**
 * A request path as routers may match it: lower case, doubled slashes collapsed, no trailing slash.
 * @example normalizeRequestPath('//API/Metrics/') // '/api/metrics'
 */
export function normalizeRequestPath(path: string): string {
  let normalized = path.toLowerCase();
  if (normalized.includes('//')) normalized = normalized.replace(/\/{2,}/g, '/');
  return normalized.length > 1 && normalized.endsWith('/') ? normalized.slice(0, -1) : normalized;
}

/** The URI segments (`''`, `v1`) the module's unversioned controllers get under URI versioning's default version. */
function uriVersionSegments(versioning: VersioningOptions | undefined): string[] {
  if (versioning?.type !== VersioningType.URI || versioning.defaultVersion === undefined) return [''];
  const prefix = versioning.prefix === false ? '' : (versioning.prefix ?? 'v');
  const defaults = Array.isArray(versioning.defaultVersion) ? versioning.defaultVersion : [versioning.defaultVersion];
  // The unversioned paths stay too: a 404 there is not worth measuring, and it keeps the rule simple.
  return ['', ...defaults.filter((v) => v !== VERSION_NEUTRAL).map((v) => `${prefix}${String(v)}`)];
}
