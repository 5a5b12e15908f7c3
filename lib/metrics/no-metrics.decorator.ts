import { createOptOutDecorator } from '../instrumentation/instrument-method.decorator';

/**
 * Leaves a method out of a class-level `@Counted()` and `@Timed()` (and of a class-level `@Observed()`).
 *
 * @example
 * @Counted()
 * @Injectable()
 * export class OrdersService {
 *   create() { ... }                // counted
 *   @NoMetrics() ping() { ... }     // not counted
 * }
 */
export function NoMetrics(): MethodDecorator {
  return createOptOutDecorator(['counted', 'timed']);
}
