import type { Attributes, Span, SpanKind } from '@opentelemetry/api';
import { createInstrumentationDecorator } from '../instrumentation/instrument-method.decorator';

/**
 * Options of `@Observed()`.
 *
 * @example
 * @Observed({ name: 'orders.create', buckets: [0.05, 0.1, 0.5, 1], attributes: (args) => ({ 'order.channel': args[0].channel }) })
 */
export interface ObservedOptions {
  /**
   * The one name: the span's, and the metrics' base name (dots and dashes become underscores):
   * `orders.create` gives the span `orders.create`, the counter `orders_create_total` and the histogram
   * `orders_create_seconds`. On a class, it is a prefix: `<name>.<method>`.
   * @default span `<Class>.<method>`, metrics `<class>_<method>` in snake case
   */
  name?: string;
  /**
   * HELP text of both metrics.
   * @default 'Calls of <Class>.<method>, by result and exception.' / 'Duration of <Class>.<method> in seconds, by result and exception.'
   */
  help?: string;
  /**
   * Extra labels with fixed values, on both metrics, added to `class`, `method`, `result` and `exception`.
   * @default {}
   */
  labels?: Record<string, string>;
  /**
   * Histogram buckets in seconds.
   * @default the module's `metrics.timedBuckets`
   */
  buckets?: number[];
  /**
   * Span kind.
   * @default SpanKind.INTERNAL
   */
  kind?: SpanKind;
  /**
   * Span attributes: fixed, or from the call's arguments (see `TracedOptions.attributes`).
   * @default {}
   */
  attributes?: Attributes | ((args: any[]) => Attributes);
  /**
   * Runs on success with the result and the span (see `TracedOptions.onResult`).
   * @default undefined
   */
  onResult?: (result: any, span: Span) => void;
}

/**
 * Spring's `@Observed` for a provider method or controller handler: one decorator, one name, giving the
 * count (counter `<name>_total`, labels `class`, `method`, `result`, `exception`), the duration (histogram
 * `<name>_seconds`, same labels, with exemplars of the span) and a child span `<name>`. It is what
 * `@Counted() @Timed() @Traced()` give together, in fewer steps per call: one clock read pair and one
 * label lookup for both metrics. Each part follows its switch: with tracing off, only the metrics.
 * What it measures, and when, is the same as the others (see docs/metrics.md).
 *
 * On a class, it applies to every method the class declares; `@NoTrace()` or `@NoMetrics()` leave a method out.
 *
 * @example
 * @Observed('orders.create')
 * async create(dto: CreateOrderDto) { ... }   // orders_create_total, orders_create_seconds, span "orders.create"
 */
export function Observed(nameOrOptions?: string | ObservedOptions): MethodDecorator & ClassDecorator {
  const options: ObservedOptions = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : { ...nameOrOptions };
  return createInstrumentationDecorator('observed', options, ['observed', 'traced', 'counted', 'timed']);
}
