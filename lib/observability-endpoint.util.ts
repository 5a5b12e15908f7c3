import { ExecutionContext } from '@nestjs/common';
import { OBSERVABILITY_ENDPOINT_METADATA } from './observability.constants';

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
