import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { INSTRUMENTATION_METADATA, OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { createInstrumentationDecorator } from '../instrumentation/instrument-method.decorator';
import { InstrumentationSpec, MethodInstrumenter } from '../instrumentation/instrumentation-spec.interface';
import { METHOD_INSTRUMENTERS } from '../instrumentation/instrumentation.explorer';
import { AUTO_SPEC } from '../tracing/handler-tracing.installer';

// @nestjs/websockets' metadata keys (the same in Nest 11 and 12); the package itself is never imported.
const GATEWAY_METADATA = 'websockets:is_gateway';
const MESSAGE_MAPPING_METADATA = 'websockets:message_mapping';
const MESSAGE_METADATA = 'message';

/** Instrumentation kinds of the WebSocket part. */
export const WS_MESSAGE_KIND = 'ws-message';

/** Where a gateway instance keeps this app's connection counter (one per instance, so per app). */
const CONNECTION_SLOT = Symbol('nestjs-observability:ws-connections');

/** What counts a gateway's connections: +1 on `handleConnection(client)`, -1 on `handleDisconnect(client)`. */
export type ConnectionCounter = (delta: 1 | -1, client: unknown) => void;

/** Implemented by the instrumenter that counts connections. */
export interface ConnectionCounting {
  connectionCounter(gateway: string): ConnectionCounter;
}

/** What a `ws-message` spec carries. */
export interface WsMessageSpecOptions {
  auto: true;
  event: string;
}

/**
 * Gives every gateway's `@SubscribeMessage()` handler the instrumentation dispatcher, and wraps its
 * `handleConnection`/`handleDisconnect` (adds them when the gateway has none: Nest calls them only if
 * they exist), at provider-creation time: before `@nestjs/websockets` binds them, which it does before
 * any `onModuleInit`. The wrappers call the counter this app puts on the gateway instance in
 * `onModuleInit`, then the gateway's own hook, unchanged.
 */
@Injectable()
export class GatewayInstrumentationInstaller implements OnModuleInit {
  private readonly gateways: string[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    scanner: MetadataScanner,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions,
    @Inject(METHOD_INSTRUMENTERS) private readonly instrumenters: MethodInstrumenter[],
  ) {
    if (!options.websockets.enabled || (!options.metrics.enabled && !options.tracing.enabled)) return;
    for (const wrapper of discovery.getProviders()) {
      const metatype = wrapper.metatype as unknown;
      if (typeof metatype !== 'function' || !Reflect.getMetadata(GATEWAY_METADATA, metatype)) continue;
      const prototype = metatype.prototype as Record<string, unknown>;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name] as object;
        if (!Reflect.getMetadata(MESSAGE_MAPPING_METADATA, handler)) continue;
        const event = Reflect.getMetadata(MESSAGE_METADATA, handler);
        instrument(prototype, name, WS_MESSAGE_KIND, { ...AUTO_SPEC, event: typeof event === 'string' ? event : String(event) });
      }
      wrapConnectionHook(prototype, 'handleConnection', 1);
      wrapConnectionHook(prototype, 'handleDisconnect', -1);
    }
  }

  onModuleInit(): void {
    const counting = this.instrumenters.find((i): i is MethodInstrumenter & ConnectionCounting => typeof (i as Partial<ConnectionCounting>).connectionCounter === 'function');
    if (!counting) return;
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<symbol, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || typeof wrapper.metatype !== 'function' || !Reflect.getMetadata(GATEWAY_METADATA, wrapper.metatype)) continue;
      instance[CONNECTION_SLOT] = counting.connectionCounter((wrapper.metatype as { name: string }).name);
    }
  }
}

const WRAPPED = Symbol('nestjs-observability:ws-connection-hook');

function wrapConnectionHook(prototype: Record<string, unknown>, name: 'handleConnection' | 'handleDisconnect', delta: 1 | -1): void {
  const original = prototype[name] as ((...args: unknown[]) => unknown) | undefined;
  if (typeof original === 'function' && (original as { [WRAPPED]?: boolean })[WRAPPED]) return;
  const hook = function (this: Record<symbol, ConnectionCounter | undefined>, ...args: unknown[]): unknown {
    try {
      this[CONNECTION_SLOT]?.(delta, args[0]);
    } catch {
      // Counting never fails the gateway's hook.
    }
    return typeof original === 'function' ? original.apply(this, args) : undefined;
  };
  Object.defineProperty(hook, WRAPPED, { value: true });
  Object.defineProperty(hook, 'name', { value: name });
  Object.defineProperty(prototype, name, { value: hook, writable: true, configurable: true, enumerable: false });
}

function instrument(prototype: Record<string, unknown>, name: string, kind: string, options: object): void {
  const specs: InstrumentationSpec[] = Reflect.getMetadata(INSTRUMENTATION_METADATA, prototype[name] as object) ?? [];
  if (specs.some((s) => s.kind === kind)) return;
  let owner: object | null = prototype;
  while (owner && !Object.prototype.hasOwnProperty.call(owner, name)) owner = Object.getPrototypeOf(owner);
  const target = owner ?? prototype;
  const descriptor = Object.getOwnPropertyDescriptor(target, name)!;
  createInstrumentationDecorator(kind, options)(target, name, descriptor);
  Object.defineProperty(target, name, descriptor);
}
