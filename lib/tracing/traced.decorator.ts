import type { Attributes, Span, SpanKind } from '@opentelemetry/api';
import { createInstrumentationDecorator } from '../instrumentation/instrument-method.decorator';

/**
 * Options of `@Traced()`.
 *
 * @example
 * @Traced({ name: 'charge card', kind: SpanKind.CLIENT, attributes: { 'payment.provider': 'acme' } })
 */
export interface TracedOptions {
  /**
   * Span name.
   * @default '<Class>.<method>'
   */
  name?: string;
  /**
   * Span kind.
   * @default SpanKind.INTERNAL
   */
  kind?: SpanKind;
  /**
   * Attributes of every span: fixed ones, or a function of the call's arguments (an array). The function runs
   * only when the span is sampled; if it throws, the call goes on, the span gets no such attributes and the
   * failure is counted in `observability_instrumentation_callback_errors_total`.
   * @default {}
   * @example { 'payment.provider': 'acme' }
   * @example (args) => ({ 'order.id': String(args[0]) })
   */
  attributes?: Attributes | ((args: any[]) => Attributes);
  /**
   * Runs when the call succeeds, before the span ends, with what it produced (the return value, the resolved
   * value of a Promise or thenable; `undefined` for an Observable or a generator) and the span: to record
   * something of the result. Runs only for a sampled span. If it throws, the result is unchanged and the failure
   * is counted, as for `attributes`.
   * @default undefined
   * @example (order, span) => span.setAttribute('order.items', order.items.length)
   */
  onResult?: (result: any, span: Span) => void;
  /**
   * Opt-in: derives attributes from the call's arguments. Arguments are never recorded otherwise.
   * Like `attributes` as a function, with the arguments spread. Runs only when the span is sampled; if it throws,
   * the call goes on, the span gets no such attributes and the failure is counted.
   * @default undefined
   * @example (orderId: string) => ({ 'order.id': orderId })
   */
  argsToAttributes?: (...args: any[]) => Attributes;
}

/**
 * Creates a child span of the active span around a provider method or controller handler, using the
 * tracer that DI provides, resolved at call time. A Promise is traced until it settles, an Observable
 * until it completes or errors; code inside runs with the span active. On error the span records the
 * exception and gets status ERROR, and the error is rethrown unchanged. Under a parent that is not
 * sampled no span is created at all.
 *
 * On a class, it traces every method the class declares (not inherited ones, not getters or setters, not the
 * constructor), exactly as if each carried `@Traced()` with these options: a method's own `@Traced(...)` or
 * `@Observed(...)` wins, and `@NoTrace()` leaves a method out. A `name` given on a class is a prefix: `<name>.<method>`.
 *
 * @example
 * @Traced()
 * async reserve(orderId: string) { ... }   // span "InventoryService.reserve"
 *
 * @example
 * @Traced()
 * @Injectable()
 * export class PaymentsService { ... }      // spans "PaymentsService.<method>"
 */
export function Traced(nameOrOptions?: string | TracedOptions): MethodDecorator & ClassDecorator {
  const options: TracedOptions = typeof nameOrOptions === 'string' ? { name: nameOrOptions } : { ...nameOrOptions };
  // On a class, a method's own @Observed() (which has the traced part) wins too.
  return createInstrumentationDecorator('traced', options, ['traced'], ['traced', 'observed']);
}
