import { ExecutionContext } from '@nestjs/common';
import { OBSERVABILITY_ENDPOINT_METADATA } from './observability.constants';
import type { ResolvedHealthOptions, ResolvedMetricsOptions } from './observability-options.interface';

/**
 * Tells a global guard or interceptor that the request is for one of this module's endpoints
 * (/metrics, health), so it can let it through untouched.
 *
 * @example
 * canActivate(context: ExecutionContext) {
 *   if (isObservabilityEndpoint(context)) return true;
 *   return this.auth.check(context);
 * }
 */
export function isObservabilityEndpoint(context: ExecutionContext): boolean {
  return Reflect.getMetadata(OBSERVABILITY_ENDPOINT_METADATA, context.getClass()) === true;
}

/** One endpoint that the module serves, and the option that placed it. */
export interface ObservabilityEndpointPath {
  /** The option to name in an error, e.g. `health.probePaths.readiness`. */
  readonly option: string;
  /** Path of the endpoint before any global prefix, e.g. `/health/ready`. */
  readonly path: string;
}

/**
 * The paths of the module's own endpoints (the scrape endpoint and the probes of the enabled parts),
 * before any global prefix. The one place that knows them: the resolver checks them for collisions,
 * and the HTTP hook never measures nor traces a request to them.
 */
export function observabilityEndpointPaths(options: { metrics: ResolvedMetricsOptions; health: ResolvedHealthOptions }): ObservabilityEndpointPath[] {
  const paths: ObservabilityEndpointPath[] = [];
  if (options.metrics.enabled) paths.push({ option: 'metrics.path', path: options.metrics.path });
  if (options.health.enabled) {
    for (const [probe, segment] of Object.entries(options.health.probePaths)) {
      paths.push({ option: `health.probePaths.${probe}`, path: joinPaths(options.health.path, segment) });
    }
  }
  return paths;
}

/** Joins path parts with single slashes: `joinPaths('/api/', '/health', 'ready')` is `/api/health/ready`. */
export function joinPaths(...parts: string[]): string {
  const joined = parts
    .flatMap((part) => part.split('/'))
    .filter((segment) => segment !== '')
    .join('/');
  return `/${joined}`;
}
