import { applyDecorators, Injectable, SetMetadata } from '@nestjs/common';
import { HEALTH_INDICATOR_METADATA } from '../observability.constants';
import { HealthProbe } from '../observability-options.interface';
import { checkIndicatorDefinition } from '../observability-options.resolver';

/**
 * Options of `@HealthIndicator()`.
 *
 * @example
 * { probes: ['readiness', 'startup'], timeoutMs: 1000 }
 */
export interface HealthIndicatorOptions {
  /**
   * Probes that run the indicator.
   * @default ['readiness']
   */
  probes?: HealthProbe[];
  /**
   * Timeout of one check, ms.
   * @default the module's `health.timeoutMs` (3000)
   */
  timeoutMs?: number;
}

/** What `@HealthIndicator()` stores. */
export interface HealthIndicatorMetadata {
  name: string;
  probes: HealthProbe[];
  timeoutMs?: number;
}

/**
 * Makes an injectable class a health indicator, found in any module. Its own dependencies are
 * injected as usual; it must implement `check()` (see `ObservabilityHealthIndicator`).
 *
 * @example
 * @HealthIndicator('database', { probes: ['readiness'] })
 * export class DatabaseHealth implements ObservabilityHealthIndicator { ... }
 */
export function HealthIndicator(name: string, options: HealthIndicatorOptions = {}): ClassDecorator {
  const metadata: HealthIndicatorMetadata = { name, probes: options.probes ?? ['readiness'], timeoutMs: options.timeoutMs };
  checkIndicatorDefinition({ ...metadata, check: () => undefined }, `@HealthIndicator('${name}')`);
  return applyDecorators(Injectable(), SetMetadata(HEALTH_INDICATOR_METADATA, metadata));
}
