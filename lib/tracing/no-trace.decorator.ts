import { createOptOutDecorator } from '../instrumentation/instrument-method.decorator';

/**
 * Leaves a method out of a class-level `@Traced()` (and of a class-level `@Observed()`).
 *
 * @example
 * @Traced()
 * @Injectable()
 * export class OrdersService {
 *   create() { ... }             // traced
 *   @NoTrace() health() { ... }  // not traced
 * }
 */
export function NoTrace(): MethodDecorator {
  return createOptOutDecorator(['traced']);
}
