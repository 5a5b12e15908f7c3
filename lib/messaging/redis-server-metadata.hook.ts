import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModulesContainer } from '@nestjs/core';
import type { Subscription } from 'rxjs';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { REDIS_PACKET_METADATA } from './messaging-transport';

/** Marks a Redis server this module already hooked (two apps may share one `strategy`). */
const HOOKED = Symbol.for('nestjs-observability:redis-server');
const PATTERN_METADATA = 'microservices:pattern';

/**
 * Keeps the trace context of a Redis message on Nest 11. Nest 11's `ServerRedis` deserializes the
 * packet `{ pattern, data, id, metadata }` and builds `RedisContext([channel])`: the `metadata` field,
 * where the producer side writes `traceparent`, is dropped, and the handler would start a new trace.
 * (Nest 12.1 passes it on: `RedisContext.getMetadata()`.)
 *
 * Each Redis server of the app (Nest's RPC target registry, `ModulesContainer.getRpcTargetRegistry()`,
 * @nestjs/core ≥ 11.1.4) gets, on the instance only:
 * - a deserializer that delegates to the server's own one and notes the `metadata` of a request by
 *   its packet id;
 * - `getPublisher()` (called with the packet id and the context before the handler runs) and
 *   `handleEvent()` (called with the packet and the context) that put that metadata on the
 *   `RedisContext` under a symbol (`REDIS_PACKET_METADATA`), where `incomingCarrier()` reads it.
 * The handler's data, the context's `getArgs()` and the reply are the ones Nest gives. On Nest 12 the
 * first context seen has `getMetadata()`, and the hook passes everything through from then on.
 */
@Injectable()
export class RedisServerMetadataHook implements OnModuleInit, OnModuleDestroy {
  private subscription?: Subscription;
  private readonly logger = new Logger('ObservabilityModule');

  constructor(
    private readonly modules: ModulesContainer,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions,
  ) {}

  onModuleInit(): void {
    // Only spans read the trace context; the metrics need nothing from the packet.
    if (!this.options.tracing.enabled) return;
    const registry = (this.modules as { getRpcTargetRegistry?: () => { subscribe(next: (target: unknown) => void): Subscription } })
      .getRpcTargetRegistry;
    if (typeof registry !== 'function') {
      if (this.hasMessageHandlers()) {
        this.logger.warn(
          '@nestjs/core before 11.1.4 has no RPC target registry: a Redis microservice handler cannot read the trace context of its message and starts a new trace (NATS and RabbitMQ are not affected). Update @nestjs/core and @nestjs/microservices to 11.1.4 or later.',
        );
      }
      return;
    }
    // A ReplaySubject: the servers connected before init, then each one connected later, before it listens.
    this.subscription = registry.call(this.modules).subscribe((target) => hookRedisServer(target));
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  private hasMessageHandlers(): boolean {
    return this.discovery.getControllers().some((wrapper) => {
      const prototype = (wrapper.metatype as { prototype?: Record<string, unknown> } | null)?.prototype;
      return !!prototype && this.scanner.getAllMethodNames(prototype).some((name) => Reflect.getMetadata(PATTERN_METADATA, prototype[name] as object) !== undefined);
    });
  }
}

/** Hooks one `ServerRedis` (or a subclass) instance; other RPC targets are left alone. */
export function hookRedisServer(server: any): void {
  if (!isRedisServer(server) || server[HOOKED]) return;
  const deserializer = server.deserializer;
  const { getPublisher, handleEvent } = server;
  if (typeof deserializer?.deserialize !== 'function' || typeof getPublisher !== 'function' || typeof handleEvent !== 'function') return;
  Object.defineProperty(server, HOOKED, { value: true });

  // Requests' metadata by packet id, from deserialization to getPublisher(): the same synchronous step
  // of Nest's handleMessage, so an entry lives for one message.
  const pending = new Map<unknown, object>();
  let native = false;
  const keep = (rpcContext: any, metadata: object | undefined): void => {
    if (typeof rpcContext?.getMetadata === 'function') {
      native = true;
      pending.clear();
      return;
    }
    if (metadata !== undefined && typeof rpcContext === 'object' && rpcContext !== null) {
      Object.defineProperty(rpcContext, REDIS_PACKET_METADATA, { value: metadata });
    }
  };
  const note = (packet: any): void => {
    if (native || packet === null || typeof packet !== 'object' || packet.id === undefined) return;
    if (typeof packet.metadata === 'object' && packet.metadata !== null) pending.set(packet.id, packet.metadata);
  };

  server.deserializer = Object.create(deserializer, {
    deserialize: {
      value(value: unknown, options?: unknown) {
        const packet = deserializer.deserialize(value, options);
        if (typeof packet?.then === 'function') return packet.then((resolved: unknown) => (note(resolved), resolved));
        note(packet);
        return packet;
      },
    },
  });
  server.getPublisher = function (this: unknown, pub: unknown, pattern: unknown, id: unknown, rpcContext: unknown, ...rest: unknown[]) {
    if (!native) {
      const metadata = pending.get(id);
      pending.delete(id);
      keep(rpcContext, metadata);
    }
    return getPublisher.call(this, pub, pattern, id, rpcContext, ...rest);
  };
  server.handleEvent = function (this: unknown, pattern: unknown, packet: any, rpcContext: unknown, ...rest: unknown[]) {
    if (!native) keep(rpcContext, typeof packet?.metadata === 'object' && packet.metadata !== null ? packet.metadata : undefined);
    return handleEvent.call(this, pattern, packet, rpcContext, ...rest);
  };
}

function isRedisServer(server: unknown): boolean {
  if (typeof server !== 'object' || server === null) return false;
  for (let proto = Object.getPrototypeOf(server); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    if ((proto.constructor as { name?: string } | undefined)?.name === 'ServerRedis') return true;
  }
  return false;
}
