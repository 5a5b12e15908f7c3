import { INSTRUMENTATION_METADATA } from '../observability.constants';
import { InstrumentationSpec } from './instrumentation-spec.interface';
import { MethodBody } from './invoke-instrumented';

/** Marker on a dispatcher: the per-instance slot it reads and the original method. */
export interface DispatcherInfo {
  /** Property (on the instance) that holds the instrumented handler, installed at init. */
  readonly slot: symbol;
  readonly original: (...args: unknown[]) => unknown;
}

/** Key of the `DispatcherInfo` on a dispatcher function. */
export const DISPATCHER_INFO = Symbol('nestjs-observability:dispatcher');

/**
 * Builds a method decorator that only records metadata and, the first time a method is
 * decorated, swaps it for a small dispatcher. The dispatcher is what Nest's router (which
 * captures handlers before `onModuleInit`), Swagger and guards see: it keeps the method's
 * name, length and every reflect-metadata key. At call time it runs the handler that the
 * explorer installed on `this` (with the tracer and Registry of that app), or the original
 * method when there is none.
 */
export function createInstrumentationDecorator<O>(kind: string, options: O): MethodDecorator {
  return (target, key, descriptor: PropertyDescriptor) => {
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
    Reflect.defineMetadata(
      INSTRUMENTATION_METADATA,
      [...specs, { kind, options, className, methodName: String(key) }],
      dispatcher,
    );
    return descriptor;
  };
}

function createDispatcher(original: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  const slot = Symbol(`instrumented:${original.name}`);
  const dispatcher = function (this: any, ...args: unknown[]): unknown {
    const handler: MethodBody | undefined = this == null ? undefined : this[slot];
    return handler === undefined ? original.apply(this, args) : handler(this, args);
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
