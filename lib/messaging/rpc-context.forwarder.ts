import type { CallHandler, ExecutionContext, NestInterceptor } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Observable } from 'rxjs';

// Nest's key of `@UseInterceptors()` metadata (stable across Nest 11 and 12).
const INTERCEPTORS_METADATA = '__interceptors__';

/**
 * Hands a microservice handler's raw arguments (`[data, RpcContext]`) to the module's instrumentation.
 * A handler with parameter decorators (`@Payload()`) is called with its decorated parameters only, so
 * the transport's context (the headers, the channel) is not among the arguments the dispatcher sees.
 * This method-level interceptor (put in the handler's `@UseInterceptors()` metadata, after the user's)
 * runs the rest of the call with the arguments in its own store; it changes nothing in the call.
 * One instance per handler, shared by every app that instruments the class, holding no app's state.
 */
export class RpcContextForwarder implements NestInterceptor {
  private readonly store = new AsyncLocalStorage<unknown[]>();

  /** The forwarder of a handler (the function Nest reads metadata from), installed the first time. */
  static on(handler: object): RpcContextForwarder {
    const interceptors: unknown[] = Reflect.getOwnMetadata(INTERCEPTORS_METADATA, handler) ?? [];
    let forwarder = interceptors.find((i): i is RpcContextForwarder => i instanceof RpcContextForwarder);
    if (forwarder === undefined) {
      forwarder = new RpcContextForwarder();
      Reflect.defineMetadata(INTERCEPTORS_METADATA, [...interceptors, forwarder], handler);
    }
    return forwarder;
  }

  /** The forwarder a handler already has, if any. */
  static of(handler: unknown): RpcContextForwarder | undefined {
    if (typeof handler !== 'function') return undefined;
    const interceptors: unknown[] = Reflect.getOwnMetadata(INTERCEPTORS_METADATA, handler) ?? [];
    return interceptors.find((i): i is RpcContextForwarder => i instanceof RpcContextForwarder);
  }

  intercept(executionContext: ExecutionContext, next: CallHandler): Observable<unknown> {
    return this.store.run(executionContext.getArgs(), () => next.handle());
  }

  /** The RPC context of the call under way: among the handler's own arguments, or the forwarded ones. */
  rpcContext(args: unknown[]): unknown {
    return args.find(isRpcContext) ?? this.store.getStore()?.find(isRpcContext);
  }
}

/** An RPC context (`RedisContext`, `NatsContext`, `RmqContext`…): Nest's `BaseRpcContext` has `getArgs()`. */
export function isRpcContext(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { getArgs?: unknown }).getArgs === 'function';
}
