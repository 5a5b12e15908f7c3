import { createInstrumentationDecorator } from '../instrumentation/instrument-method.decorator';

/**
 * Options of `@Timed()`.
 *
 * @example
 * @Timed({ name: 'payment_authorize', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2] })
 */
export interface TimedOptions {
  /**
   * Metric base name; `_seconds` is appended. Dots and dashes become underscores.
   * @default `<class>_<method>` in snake case, e.g. `orders_service_create`
   */
  name?: string;
  /**
   * HELP text.
   * @default 'Duration of <Class>.<method> in seconds, by result and exception.'
   */
  help?: string;
  /**
   * Extra labels with fixed values, added to `class`, `method`, `result` and `exception`.
   * @default {}
   */
  labels?: Record<string, string>;
  /**
   * Histogram buckets in seconds.
   * @default the module's `metrics.timedBuckets`
   */
  buckets?: number[];
}

/**
 * Times every call of a provider method or controller handler, like Micrometer's `@Timed`:
 * histogram `<name>_seconds` with labels `class`, `method`, `result` and `exception`.
 * A Promise is timed until it settles, an Observable until it completes or errors.
 * Errors are rethrown unchanged.
 *
 * On a class, it applies to every method the class declares (not inherited ones, not getters or setters, not
 * the constructor), as if each carried `@Timed()` with these options: a method's own `@Timed(...)` wins, and
 * `@NoMetrics()` leaves a method out.
 *
 * @example
 * @Timed()
 * async charge(order: Order) { ... }   // payments_service_charge_seconds_bucket{...}
 */
export function Timed(nameOrOptions?: string | TimedOptions): MethodDecorator & ClassDecorator {
  const options: TimedOptions = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : { ...nameOrOptions };
  // On a class, a method's own @Observed() (which has the timed part) wins too.
  return createInstrumentationDecorator('timed', options, ['timed'], ['timed', 'observed']);
}
