import { INSTRUMENTATION_METADATA } from '../observability.constants';
import { InstrumentationSpec } from './instrumentation-spec.interface';
import { enterLayer, failPlan, InvocationPlan, observeResult, observeSingle, startPlan, warnListener } from './invoke-instrumented';

/** Marker on a dispatcher: the per-instance slot it reads and the original method. */
export interface DispatcherInfo {
  /** Property (on the instance) that holds the `InvocationPlan`, installed at init. */
  readonly slot: symbol;
  readonly original: (...args: unknown[]) => unknown;
}

/** Key of the `DispatcherInfo` on a dispatcher function. */
export const DISPATCHER_INFO = Symbol('nestjs-observability:dispatcher');

/** Reflect-metadata key of the kinds a method opts out of (`@NoTrace()`, `@NoMetrics()`). */
export const INSTRUMENTATION_OPT_OUT_METADATA = 'nestjs-observability:instrumentation-opt-out';

/**
 * Builds a decorator that only records metadata and, the first time a method is decorated, swaps it for a
 * small dispatcher. The dispatcher is what Nest's router (which captures handlers before `onModuleInit`),
 * Swagger and guards see: it keeps the method's name, length and every reflect-metadata key. At call time it
 * runs the plan that the explorer installed on `this` (with the tracer and Registry of that app), or the
 * original method when there is none.
 *
 * On a class, it decorates every method the class declares, exactly as the method decorator would (same
 * dispatcher, same cost): not inherited methods, not getters or setters, not the constructor, not static
 * methods. A method that opts out of the kind (`optOutKinds`), or that carries its own decorator of a kind in
 * `overriddenBy` (the method's wins), is left as it is. A `name` option given on a class is a prefix of each method's: `<name>.<method>`.
 */
export function createInstrumentationDecorator<O>(
  kind: string,
  options: O,
  optOutKinds: readonly string[] = [kind],
  overriddenBy: readonly string[] = [kind],
): MethodDecorator & ClassDecorator {
  return ((target: object, key?: string | symbol, descriptor?: PropertyDescriptor) => {
    if (key === undefined) {
      decorateClass(kind, options, optOutKinds, overriddenBy, target as Function);
      return undefined;
    }
    return decorateMethod(kind, options, target, key, descriptor!);
  }) as MethodDecorator & ClassDecorator;
}

/**
 * Builds a method decorator that leaves a method out of the class-level decorators of `kinds`. It only
 * records metadata; on a method that is not under such a class decorator it does nothing.
 */
export function createOptOutDecorator(kinds: readonly string[]): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    if (typeof descriptor?.value !== 'function') return descriptor;
    const previous: string[] = Reflect.getMetadata(INSTRUMENTATION_OPT_OUT_METADATA, descriptor.value) ?? [];
    Reflect.defineMetadata(INSTRUMENTATION_OPT_OUT_METADATA, [...previous, ...kinds], descriptor.value);
    return descriptor;
  };
}

function decorateClass<O>(kind: string, options: O, optOutKinds: readonly string[], overriddenBy: readonly string[], constructor: Function): void {
  const prototype = constructor.prototype as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    if (name === 'constructor') continue;
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name)!;
    if (typeof descriptor.value !== 'function') continue; // getters, setters, fields
    const method = descriptor.value;
    const optedOut: string[] = Reflect.getMetadata(INSTRUMENTATION_OPT_OUT_METADATA, method) ?? [];
    if (optOutKinds.some((k) => optedOut.includes(k))) continue;
    const specs: InstrumentationSpec[] = Reflect.getMetadata(INSTRUMENTATION_METADATA, method) ?? [];
    if (specs.some((spec) => overriddenBy.includes(spec.kind))) continue; // the method's own decorator wins
    // A name given on a class is a prefix: `@Traced('payments')` gives `payments.charge`, `payments.refund`.
    const named = options as { name?: unknown } | undefined;
    const methodOptions = typeof named?.name === 'string' ? { ...options, name: `${named.name}.${name}` } : options;
    Object.defineProperty(prototype, name, decorateMethod(kind, methodOptions, prototype, name, descriptor));
  }
}

function decorateMethod<O>(kind: string, options: O, target: object, key: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor {
  const className = typeof target === 'function' ? target.name : target.constructor.name;
  if (typeof descriptor?.value !== 'function') {
    throw new TypeError(`@${decoratorName(kind)}() can only decorate methods, and ${className}.${String(key)} is not one.`);
  }
  if (typeof target === 'function') {
    // The instrumentation is installed on the instances Nest creates; a static method is never called on one.
    throw new TypeError(
      `@${decoratorName(kind)}() cannot decorate the static method ${className}.${String(key)}: it would never be instrumented, ` +
        `because the module instruments methods of the provider and controller instances Nest creates. ` +
        `Make it an instance method of a provider, or measure it with MetricsService / TracingService.`,
    );
  }
  if (!descriptor.value[DISPATCHER_INFO]) {
    descriptor.value = createDispatcher(descriptor.value);
  }
  const dispatcher = descriptor.value;
  const specs: InstrumentationSpec[] = Reflect.getOwnMetadata(INSTRUMENTATION_METADATA, dispatcher) ?? [];
  Reflect.defineMetadata(INSTRUMENTATION_METADATA, [...specs, { kind, options, className, methodName: String(key) }], dispatcher);
  return descriptor;
}

function createDispatcher(original: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const slot = Symbol(`instrumented:${original.name}`);
  // Without a context to enter (metrics only), the whole wrapper is this one frame while the method runs: the
  // helpers return before it is called. So recursion through a decorated method goes about half as deep as
  // through a plain one. (A span's context costs the frames of the OpenTelemetry context manager on top.)
  const dispatcher = function (this: any, ...args: unknown[]): unknown {
    const plan: InvocationPlan | undefined = this == null ? undefined : this[slot];
    if (plan === undefined) return original.apply(this, args);
    const single = plan.single;
    if (single !== undefined) {
      // A listener with `returned` (`@Counted()`) has no start: a plain returned value costs the body and one call.
      const startless = plan.startless;
      const state = startless ? undefined : single.start(this, args);
      let result: unknown;
      try {
        result = original.apply(this, args);
      } catch (error) {
        return failPlan(plan, [state], error);
      }
      if (startless && (result === null || typeof result !== 'object')) {
        try {
          single.returned!();
        } catch (listenerError) {
          warnListener(listenerError);
        }
        return result;
      }
      return observeSingle(plan, state, result);
    }
    const states = startPlan(plan, this, args);
    if (plan.runAt >= 0) return enterLayer(plan, this, args, states);
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (error) {
      return failPlan(plan, states, error);
    }
    return observeResult(plan, states, result);
  };
  // Metadata that decorators below this one already put on the original.
  for (const metadataKey of Reflect.getOwnMetadataKeys(original)) {
    Reflect.defineMetadata(metadataKey, Reflect.getOwnMetadata(metadataKey, original), dispatcher);
  }
  // Anything put on the original later still resolves through the prototype chain.
  Object.setPrototypeOf(dispatcher, original);
  Object.defineProperty(dispatcher, 'name', { value: original.name, configurable: true });
  Object.defineProperty(dispatcher, 'length', { value: original.length, configurable: true });
  const info: DispatcherInfo = { slot, original };
  Object.defineProperty(dispatcher, DISPATCHER_INFO, { value: info });
  return dispatcher;
}

function decoratorName(kind: string): string {
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}
