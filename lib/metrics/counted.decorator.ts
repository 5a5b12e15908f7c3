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
   * Extra labels, added to `class`, `method`, `result` and `exception`: fixed values, or a function of the call's
   * arguments (an array) and of what it produced (the return or resolved value; `undefined` on failure). A
   * function needs `labelNames`; a name it does not return gets `unknown`. Its values are bounded: past
   * `maxLabelSets` distinct sets per method they all become `other`. If it throws, the call is counted with
   * `unknown` values and the failure in `observability_instrumentation_callback_errors_total`.
   * @default {}
   * @example { channel: 'web' }
   * @example (args, result) => ({ channel: args[0].channel })
   */
  labels?: Record<string, string> | ((args: any[], result: any) => Record<string, string | number | boolean>);
  /**
   * The names of the labels that a `labels` function returns, declared up front (a metric's label names are
   * fixed when it is registered).
   * @default []
   */
  labelNames?: string[];
  /**
   * Distinct value sets a `labels` function may produce per method; past it they all become `other`.
   * @default 100
   */
  maxLabelSets?: number;
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
  // On a class, a method's own @Observed() (which has the counted part) wins too.
  return createInstrumentationDecorator('counted', options, ['counted'], ['counted', 'observed']);
}
