import { createInstrumentationDecorator } from '../instrumentation/instrument-method.decorator';

/**
 * Options of `@Counted()`.
 *
 * @example
 * @Counted({ name: 'orders_created', help: 'Orders created', labels: { channel: 'web' } })
 */
export interface CountedOptions {
  /**
   * Metric base name; `_total` is appended. Dots and dashes become underscores.
   * @default `<class>_<method>` in snake case, e.g. `orders_service_create`
   */
  name?: string;
  /**
   * HELP text.
   * @default 'Calls of <Class>.<method>, by result and exception.'
   */
  help?: string;
  /**
   * Extra labels with fixed values, added to `class`, `method`, `result` and `exception`.
   * @default {}
   */
  labels?: Record<string, string>;
}

/**
 * Counts every call of a provider method or controller handler, like Micrometer's `@Counted`:
 * counter `<name>_total` with labels `class`, `method`, `result` (`success` | `failure`) and
 * `exception` (the error's class name, `none` on success). A Promise counts when it settles,
 * an Observable when it completes or errors. Errors are rethrown unchanged.
 *
 * On a class, it applies to every method the class declares (not inherited ones, not getters or setters, not
 * the constructor), as if each carried `@Counted()` with these options: a method's own `@Counted(...)` wins, and
 * `@NoMetrics()` leaves a method out.
 *
 * @example
 * @Counted()
 * async create(dto: CreateOrderDto) { ... }   // orders_service_create_total{class="OrdersService",method="create",result="success",exception="none"}
 *
 * @example
 * @Counted('orders.created')                  // orders_created_total
 */
export function Counted(nameOrOptions?: string | CountedOptions): MethodDecorator & ClassDecorator {
  const options: CountedOptions = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : { ...nameOrOptions };
  return createInstrumentationDecorator('counted', options);
}
