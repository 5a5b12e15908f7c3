import { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

/** The `messaging.system` values of the transports the module propagates through. */
export type MessagingSystem = 'redis' | 'nats' | 'rabbitmq';

/**
 * The field of a Redis packet that carries the trace context: Nest's own out-of-band `metadata`
 * (`{ pattern, data, id, metadata: { traceparent, tracestate } }`, read back through
 * `RedisContext.getMetadata()`), so it is never part of the payload a handler receives.
 */
export const REDIS_TRACE_FIELD = 'metadata';

/**
 * Where a Nest 11 `RedisContext` carries its packet's `metadata` (Nest 11's Redis server drops the field;
 * `RedisServerMetadataHook` keeps it here, on the context, never in what the handler receives).
 */
export const REDIS_PACKET_METADATA = Symbol.for('nestjs-observability:redis-packet-metadata');

/** The transport of a `ClientProxy`, from its class (Nest's names, stable across Nest 11 and 12). */
export function clientSystem(client: object): MessagingSystem | null {
  for (let proto = Object.getPrototypeOf(client); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const name = (proto.constructor as { name?: string } | undefined)?.name;
    if (name === 'ClientRedis') return 'redis';
    if (name === 'ClientNats') return 'nats';
    if (name === 'ClientRMQ') return 'rabbitmq';
  }
  return null;
}

/** The transport of an RPC context a handler receives, or null (TCP, gRPC, Kafka: plain RPC spans). */
export function contextSystem(rpcContext: any): MessagingSystem | null {
  if (!rpcContext) return null;
  if (typeof rpcContext.getSubject === 'function' && typeof rpcContext.getHeaders === 'function') return 'nats';
  if (typeof rpcContext.getChannelRef === 'function' && typeof rpcContext.getMessage === 'function') return 'rabbitmq';
  if (typeof rpcContext.getChannel === 'function' && rpcContext.constructor?.name === 'RedisContext') return 'redis';
  return null;
}

/** The carrier of the trace context in a received message: headers, or the Redis packet's metadata. */
export function incomingCarrier(rpcContext: any): object | undefined {
  if (!rpcContext) return undefined;
  const headers =
    rpcContext.getHeaders?.() ??
    rpcContext.getMetadata?.() ??
    rpcContext[REDIS_PACKET_METADATA] ??
    rpcContext.getMessage?.()?.headers ??
    rpcContext.getMessage?.()?.properties?.headers;
  return typeof headers === 'object' && headers !== null ? headers : undefined;
}

/** Reads plain header objects, Buffers and Map-like headers (NATS `MsgHdrs`). */
export const CARRIER_GETTER: TextMapGetter<any> = {
  keys: (carrier) => (typeof carrier.keys === 'function' ? [...carrier.keys()] : Object.keys(carrier)),
  get: (carrier, key) => {
    const value = typeof carrier.get === 'function' ? carrier.get(key) : carrier[key];
    return Buffer.isBuffer(value) ? value.toString() : value;
  },
};

/** Writes into plain objects and NATS `MsgHdrs` (which has `set`). */
export const CARRIER_SETTER: TextMapSetter<any> = {
  set: (carrier, key, value) => (typeof carrier.set === 'function' ? carrier.set(key, value) : (carrier[key] = value)),
};

/**
 * The object of a serialized packet to write the trace context into, created where the transport
 * has none yet: NATS headers (`MsgHdrs`), RabbitMQ `options.headers`, the Redis packet's `metadata`.
 * Null when the serialized shape is not the one Nest's serializers produce (a custom serializer).
 */
export function outgoingCarrier(system: MessagingSystem, serialized: any): object | null {
  if (typeof serialized !== 'object' || serialized === null) return null;
  if (system === 'nats') {
    // Nest 12's serializer writes a JSON string, Nest 11's a Uint8Array from the `nats` (v2) codec: the
    // headers must come from the same client library as the connection that publishes them.
    if (serialized.headers === undefined) serialized.headers = createNatsHeaders(typeof serialized.data === 'string');
    return serialized.headers ?? null;
  }
  if (system === 'rabbitmq') {
    serialized.options = { ...serialized.options, headers: { ...serialized.options?.headers } };
    return serialized.options.headers;
  }
  serialized[REDIS_TRACE_FIELD] = { ...serialized[REDIS_TRACE_FIELD] };
  return serialized[REDIS_TRACE_FIELD];
}

// The NATS client Nest loaded: @nats-io/transport-node (Nest 12) or nats (Nest 11), the other one as a
// fallback. Resolved when a NATS client sends, so an app without NATS never needs either.
function createNatsHeaders(nest12: boolean): object | undefined {
  for (const name of nest12 ? ['@nats-io/transport-node', 'nats'] : ['nats', '@nats-io/transport-node']) {
    try {
      return require(name).headers();
    } catch {
      // try the next one
    }
  }
  return undefined;
}

/** The destination a received message came through: the NATS subject, the Redis channel, the RMQ pattern. */
export function destinationOfContext(rpcContext: any): string | undefined {
  const value = rpcContext.getSubject?.() ?? rpcContext.getPattern?.() ?? rpcContext.getChannel?.();
  return typeof value === 'string' ? value : undefined;
}

/** The broker's message id where the transport exposes one (RabbitMQ `properties.messageId`). */
export function messageIdOfContext(rpcContext: any): string | undefined {
  const id = rpcContext.getMessage?.()?.properties?.messageId;
  return typeof id === 'string' ? id : undefined;
}
