import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { INSTRUMENTATION_METADATA, OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { createInstrumentationDecorator } from '../instrumentation/instrument-method.decorator';
import { InstrumentationSpec } from '../instrumentation/instrumentation-spec.interface';
import { RpcContextForwarder } from '../messaging/rpc-context.forwarder';

// Nest's metadata keys (stable across Nest 11 and 12).
const ROUTE_METHOD_METADATA = 'method';
const PATTERN_METADATA = 'microservices:pattern';
const PATTERN_HANDLER_METADATA = 'microservices:handler_type';
/** `PatternHandler.EVENT`: an `@EventPattern()` handler. */
const EVENT_HANDLER = 2;

/** Marks specs the module adds by itself, so that they are never reported as user decorators. */
export const AUTO_SPEC = Object.freeze({ auto: true });

/**
 * Gives every controller's HTTP route handler (kind `route`) and microservice handler (kind `rpc`)
 * the instrumentation dispatcher, at provider-creation time: that is before Nest's routers capture
 * the handlers, which they do before any `onModuleInit`. The dispatcher calls the original until the
 * explorer installs this app's handler, so a class shared by several apps is never bound to one of them.
 */
@Injectable()
export class HandlerTracingInstaller {
  constructor(
    discovery: DiscoveryService,
    scanner: MetadataScanner,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions,
  ) {
    const { enabled, routeHandlers, rpc } = options.tracing;
    if (!enabled || (!routeHandlers && !rpc)) return;
    for (const wrapper of discovery.getControllers()) {
      const prototype = (wrapper.metatype as { prototype?: Record<string, unknown> } | null)?.prototype;
      if (!prototype) continue;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        const kind = Reflect.getMetadata(PATTERN_METADATA, handler) !== undefined ? 'rpc'
          : Reflect.getMetadata(ROUTE_METHOD_METADATA, handler) !== undefined ? 'route' : null;
        if (kind === null || (kind === 'route' && !routeHandlers) || (kind === 'rpc' && !rpc)) continue;
        const specs: InstrumentationSpec[] = Reflect.getMetadata(INSTRUMENTATION_METADATA, handler) ?? [];
        if (specs.some((s) => s.kind === kind)) continue;
        const owner = ownerOf(prototype, name);
        const descriptor = Object.getOwnPropertyDescriptor(owner, name)!;
        const options = kind === 'rpc' ? rpcSpecOptions(handler) : AUTO_SPEC;
        createInstrumentationDecorator(kind, options)(owner, name, descriptor);
        // A handler with @Payload() is not given the transport's context: the forwarder hands it over.
        if (kind === 'rpc') RpcContextForwarder.on(descriptor.value);
        Object.defineProperty(owner, name, descriptor);
      }
    }
  }
}

/** What the RPC span of a handler needs: its patterns, and whether it handles events (a link, not a parent). */
export function rpcSpecOptions(handler: object): { auto: true; patterns: unknown[]; event: boolean } {
  return {
    auto: true,
    patterns: Reflect.getMetadata(PATTERN_METADATA, handler) as unknown[],
    event: Reflect.getMetadata(PATTERN_HANDLER_METADATA, handler) === EVENT_HANDLER,
  };
}

/** The prototype in the chain that declares the method, so an inherited handler is patched where it lives. */
export function ownerOf(prototype: object, name: string): object {
  let owner: object | null = prototype;
  while (owner && !Object.prototype.hasOwnProperty.call(owner, name)) owner = Object.getPrototypeOf(owner);
  return owner ?? prototype;
}
