import type { Attributes, SpanKind } from '@opentelemetry/api';
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
   * Static attributes set on every span.
   * @default {}
   */
  attributes?: Attributes;
  /**
   * Opt-in: derives attributes from the call's arguments. Arguments are never recorded otherwise.
   * Runs only when the span is sampled; if it throws, the call goes on and the span gets no such attributes.
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
 * constructor), exactly as if each carried `@Traced()` with these options: a method's own `@Traced(...)` wins,
 * and `@NoTrace()` leaves a method out.
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
  return createInstrumentationDecorator('traced', options);
}
