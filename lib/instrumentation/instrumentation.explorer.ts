import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { INSTRUMENTATION_METADATA } from '../observability.constants';
import { DISPATCHER_INFO, DispatcherInfo } from './instrument-method.decorator';
import { InstrumentationSpec, InvocationListener, MethodInstrumenter } from './instrumentation-spec.interface';
import { createInvocationPlan, InvocationPlan } from './invoke-instrumented';

/** Injection token of the `MethodInstrumenter[]` that the enabled parts contribute. */
export const METHOD_INSTRUMENTERS = Symbol('nestjs-observability:method-instrumenters');

/**
 * Finds every provider and controller method decorated with `@Counted()`, `@Timed()` or
 * `@Traced()` (like nestjs/schedule's explorer) and installs, on each instance, the handler
 * that its dispatcher calls. Controllers are covered too: the router holds the dispatcher,
 * and the dispatcher reads the handler at call time.
 */
@Injectable()
export class InstrumentationExplorer implements OnModuleInit {
  private readonly logger = new Logger('ObservabilityModule');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(METHOD_INSTRUMENTERS) private readonly instrumenters: MethodInstrumenter[],
  ) {}

  onModuleInit(): void {
    const unhandled = new Set<string>();
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const instance = wrapper.instance as Record<PropertyKey, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      const prototype = Object.getPrototypeOf(instance);
      if (!prototype || prototype === Object.prototype) continue;
      for (const methodName of this.scanner.getAllMethodNames(prototype)) {
        const dispatcher = prototype[methodName] as { [DISPATCHER_INFO]?: DispatcherInfo } | undefined;
        const info = dispatcher?.[DISPATCHER_INFO];
        if (!info) continue;
        const specs: InstrumentationSpec[] = Reflect.getMetadata(INSTRUMENTATION_METADATA, dispatcher) ?? [];
        if (!wrapper.isDependencyTreeStatic()) {
          this.logger.warn(
            `${specs[0]?.className}.${methodName} is request-scoped or transient: its ${kinds(specs)} instrumentation is not applied. ` +
              `Move the instrumented method to a singleton provider.`,
          );
          continue;
        }
        this.install(instance, info, specs, unhandled);
      }
    }
    for (const message of unhandled) this.logger.warn(message);
  }

  private install(instance: Record<PropertyKey, unknown>, info: DispatcherInfo, specs: InstrumentationSpec[], unhandled: Set<string>): void {
    const layers: Array<{ order: number; spec: InstrumentationSpec; instrumenter: MethodInstrumenter }> = [];
    for (const spec of specs) {
      // A kind may belong to several parts (`@Observed()`: metrics and tracing), each adding its layer.
      const instrumenters = this.instrumenters.filter((i) => i.kinds.includes(spec.kind));
      for (const instrumenter of instrumenters) layers.push({ order: instrumenter.order, spec, instrumenter });
      if (instrumenters.length > 0) continue;
      if (!(spec.options as { auto?: boolean } | undefined)?.auto) unhandled.add(`@${capitalize(spec.kind)}() on ${spec.className}.${spec.methodName} is ignored: the part it belongs to is switched off.`);
    }
    if (layers.length === 0) return;
    // Outermost first. Among equals the decorator written nearest the method (applied first) is innermost.
    layers.sort((a, b) => a.order - b.order).reverse();
    const listeners = layers.map(({ spec, instrumenter }) => instrumenter.createListener(spec, instance)).filter((l): l is InvocationListener<any> => l !== null);
    if (listeners.length === 0) return;
    const plan: InvocationPlan = createInvocationPlan(info.original, listeners);
    Object.defineProperty(instance, info.slot, { value: plan, configurable: true, writable: true, enumerable: false });
  }
}

function kinds(specs: InstrumentationSpec[]): string {
  return specs.map((s) => `@${capitalize(s.kind)}()`).join(', ');
}

function capitalize(kind: string): string {
  return kind.charAt(0).toUpperCase() + kind.slice(1);
}
