import { RequestMethod } from '@nestjs/common';
import type { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { ObservabilityConfigError } from '../observability-config.error';
import { OBSERVABILITY_ENDPOINT_METADATA } from '../observability.constants';
import { joinPaths, observabilityEndpointPaths } from '../observability-endpoint.util';
import type { ResolvedObservabilityOptions } from '../observability-options.interface';
import { normalizeRequestPath } from './observability-endpoint.matcher';

/** Nest's metadata keys (the same in Nest 11 and 12): route path and method, version, host, RouterModule path. */
const PATH = 'path';
const METHOD = 'method';
const VERSION = '__version__';
const HOST = 'host';
const MODULE_PATH = '__module_path__';

const READS = new Set<unknown>([RequestMethod.GET, RequestMethod.HEAD, RequestMethod.ALL]);

/**
 * Refuses, at boot, a module endpoint (`metrics.path`, a probe) that an app controller also serves with GET: the
 * router gives the request to one of them only, so the app's handler answered the scrape (or the probe) silently.
 * Only literal routes of the app are compared, as the router matches them (case-insensitive on Express); a route
 * whose full path the metadata does not tell (versioned, host-bound, under a RouterModule path) is left alone.
 * Served on the management port, the endpoints cannot clash with the app's routes.
 */
export function checkEndpointRouteClashes(
  options: ResolvedObservabilityOptions,
  discovery: DiscoveryService,
  scanner: MetadataScanner,
  caseInsensitive: boolean,
): void {
  if (options.management.enabled) return;
  const normalize = (path: string) => (caseInsensitive ? normalizeRequestPath(path) : collapse(path));
  const own = new Map<string, string>();
  for (const { option, path } of observabilityEndpointPaths(options)) {
    if (option === 'metrics.path' && !options.metrics.endpoint) continue;
    own.set(normalize(path), option);
  }
  if (own.size === 0) return;
  for (const wrapper of discovery.getControllers()) {
    const controller = wrapper.metatype as (abstract new (...args: never[]) => unknown) | undefined;
    if (typeof controller !== 'function' || Reflect.getMetadata(OBSERVABILITY_ENDPOINT_METADATA, controller) === true) continue;
    if (Reflect.getMetadata(VERSION, controller) !== undefined || Reflect.getMetadata(HOST, controller) !== undefined) continue;
    const module = wrapper.host?.metatype;
    if (module && Reflect.getMetadataKeys(module).some((key) => typeof key === 'string' && key.startsWith(MODULE_PATH))) continue;
    const prototype = controller.prototype as Record<string, unknown>;
    for (const name of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[name];
      if (typeof handler !== 'function') continue;
      const methodPaths = Reflect.getMetadata(PATH, handler) as string | string[] | undefined;
      if (methodPaths === undefined || !READS.has(Reflect.getMetadata(METHOD, handler))) continue;
      if (Reflect.getMetadata(VERSION, handler) !== undefined) continue;
      for (const base of asList(Reflect.getMetadata(PATH, controller) as string | string[] | undefined)) {
        for (const path of asList(methodPaths)) {
          const full = joinPaths(base, path);
          const option = own.get(normalize(full));
          if (option === undefined) continue;
          throw new ObservabilityConfigError(
            `Option "${option}" puts the module's endpoint on ${full}, where the app's ${controller.name}.${name}() already answers GET ${full}: ` +
              `the router would give every request to one of them, silently. Give "${option}" another path` +
              `${option === 'metrics.path' ? ', set "metrics.endpoint: false" to serve your own,' : ''} or serve the endpoints on the management port ("management.port").`,
          );
        }
      }
    }
  }
}

function asList(paths: string | string[] | undefined): string[] {
  if (paths === undefined) return ['/'];
  return Array.isArray(paths) ? paths : [paths];
}

/** Doubled and trailing slashes dropped, case kept (Fastify routes case-sensitively). */
function collapse(path: string): string {
  const collapsed = path.replace(/\/{2,}/g, '/');
  return collapsed.length > 1 && collapsed.endsWith('/') ? collapsed.slice(0, -1) : collapsed;
}
