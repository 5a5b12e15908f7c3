import { isObservable, Observable } from 'rxjs';
import { types } from 'node:util';
import { InvocationListener } from './instrumentation-spec.interface';
import { Completion, isGenerator, observeGenerator } from './lazy-result.observer';
import { ThenableObserver } from './thenable.observer';

/** The body of an instrumented method, with `this` and arguments passed explicitly. */
export type MethodBody = (thisArg: unknown, args: unknown[]) => unknown;

/**
 * Everything one instrumented method needs at call time: its original body and its listeners, outermost
 * first. One plan per method and instance; it also remembers the thenables it has observed (`thenables`),
 * so that a cached one is never hooked twice. Nothing of it is module-level.
 */
export interface InvocationPlan {
  readonly body: (this: unknown, ...args: unknown[]) => unknown;
  readonly listeners: readonly InvocationListener<any>[];
  /** Index of the outermost listener with a context to enter (`run`), or -1: then the call needs no closure. */
  readonly runAt: number;
  /** The listener, when there is one and it has no context to enter (`@Counted()` alone): the fast path. */
  readonly single: InvocationListener<any> | undefined;
  /** `single` has `returned`: then `start` is skipped and a plain returned value ends with `returned()` alone. */
  readonly startless: boolean;
  thenables?: ThenableObserver;
}

/** Builds the plan of a method: listeners outermost first. */
export function createInvocationPlan(body: InvocationPlan['body'], listeners: readonly InvocationListener<any>[]): InvocationPlan {
  const runAt = listeners.findIndex((listener) => listener.run !== undefined);
  const single = listeners.length === 1 && runAt < 0 ? listeners[0] : undefined;
  return { body, listeners, runAt, single, startless: typeof single?.returned === 'function' };
}

const nativeThen = Promise.prototype.then;

/**
 * The one shared wrapper behind `@Counted()`, `@Timed()`, `@Traced()` and `@Observed()`. It starts every
 * listener, calls the body inside their contexts, tells them when the call really ends and hands back
 * **exactly** what the method returned (the same object), or rethrows the very same error. A decorated method's
 * dispatcher runs these steps itself (`startPlan`, the body, `observeResult`), so that it is the only frame
 * the wrapper adds while a method without a span runs; this function is the same for one-off calls
 * (`TracingService.startActiveSpan()`, the RPC interceptor).
 *
 * What "ends" means is decided from the value returned, never from the function's declared kind:
 * - a plain value or a throw: at once;
 * - a Promise (native or a subclass): when it settles. The very same Promise is returned: the wrapper
 *   only adds a reaction to it (so a memoized Promise stays `===`, and extra properties such as `cancel` stay);
 * - any other thenable (mongoose `Query`, knex builder, `PrismaPromise`, Bluebird): the very same object,
 *   unexecuted, measured when it runs (see `ThenableObserver`);
 * - a generator or async generator: the very same object, measured over its iteration;
 * - a plain (cold) Observable: on complete or error, per subscription; it is the only shape handed back as
 *   an equivalent Observable rather than the same object, since a subscription cannot be seen otherwise;
 * - a `Subject`, `BehaviorSubject` or other Observable subclass: the very same object, ended at once (the
 *   wrapper never subscribes to it);
 * - a Proxy: the very same object, ended at once; the wrapper reads no property of it.
 */
export function invokePlan(plan: InvocationPlan, thisArg: unknown, args: unknown[]): unknown {
  return insideLayer(plan, thisArg, args, new Array<unknown>(plan.listeners.length), 0)();
}

/**
 * Starts the layers up to the first that has a context to enter (`plan.runAt`), or all of them. Helpers like
 * this one return before the body runs, so they add no stack frame to a recursive call.
 */
export function startPlan(plan: InvocationPlan, thisArg: unknown, args: unknown[]): unknown[] {
  const states = new Array<unknown>(plan.listeners.length);
  startLayers(plan, 0, thisArg, args, states);
  return states;
}

/** `observeResult` for a plan of one listener without a context (`plan.single`): no states array for a plain value. */
export function observeSingle(plan: InvocationPlan, state: unknown, result: unknown): unknown {
  if (result === null || typeof result !== 'object') {
    safeEnd(plan.single!, state, undefined, false, result);
    return result;
  }
  if (types.isPromise(result)) {
    const single = plan.single!;
    try {
      nativeThen.call(
        result,
        (value) => safeEnd(single, state, undefined, false, value),
        (error) => safeEnd(single, state, error, true, undefined),
      );
      return result;
    } catch {
      // A subclass whose species constructor throws: the general path measures it as a plain value.
    }
  }
  return observeResult(plan, [state], result);
}

/** Ends every layer as failed by a synchronous throw, and rethrows the very same error. */
export function failPlan(plan: InvocationPlan, states: unknown[], error: unknown): never {
  endAll(plan, states, error, true, undefined);
  throw error;
}

/** Runs the rest of the call, inner layers and body, inside the context of the layer at `plan.runAt` (its span). */
export function enterLayer(plan: InvocationPlan, thisArg: unknown, args: unknown[], states: unknown[]): unknown {
  return plan.listeners[plan.runAt].run!(states[plan.runAt], insideLayer(plan, thisArg, args, states, plan.runAt + 1));
}

/** Starts the layers from `from` on, up to the first that has a context to enter: returns its index, or -1. */
function startLayers(plan: InvocationPlan, from: number, thisArg: unknown, args: unknown[], states: unknown[]): number {
  const listeners = plan.listeners;
  for (let i = from; i < listeners.length; i++) {
    const listener = listeners[i];
    states[i] = listener.start(thisArg, args);
    if (listener.run !== undefined) return i;
  }
  return -1;
}

/** The rest of the call, to run inside a layer's context. */
function insideLayer(plan: InvocationPlan, thisArg: unknown, args: unknown[], states: unknown[], from: number): () => unknown {
  return () => {
    const runAt = startLayers(plan, from, thisArg, args, states);
    if (runAt >= 0) return plan.listeners[runAt].run!(states[runAt], insideLayer(plan, thisArg, args, states, runAt + 1));
    let result: unknown;
    try {
      result = plan.body.apply(thisArg, args);
    } catch (error) {
      return failPlan(plan, states, error);
    }
    return observeResult(plan, states, result);
  };
}
/** One listener around one call, for `TracingService.startActiveSpan()` and the RPC interceptor. */
export function invokeInstrumented<S>(body: MethodBody, thisArg: unknown, args: unknown[], listener: InvocationListener<S>): unknown {
  const plan = createInvocationPlan(function (this: unknown, ...a: unknown[]) {
    return body(this, a);
  }, [listener]);
  return invokePlan(plan, thisArg, args);
}

export function observeResult(plan: InvocationPlan, states: unknown[], result: unknown): unknown {
  if (result === null || typeof result !== 'object') {
    endAll(plan, states, undefined, false, result);
    return result;
  }
  // isPromise first: the common case, and it reads nothing of a Proxy either.
  if (types.isPromise(result)) {
    // The intrinsic `then`, not the object's: a subclass's own `then` is not called, nothing new is returned.
    try {
      nativeThen.call(
        result,
        (value) => endAll(plan, states, undefined, false, value),
        (error) => endAll(plan, states, error, true, undefined),
      );
    } catch {
      // A subclass whose species constructor throws: measured as a plain value.
      endAll(plan, states, undefined, false, result);
    }
    return result;
  }
  let shape: 'thenable' | 'generator' | 'observable' | 'plain';
  try {
    shape = types.isProxy(result) ? 'plain' : shapeOf(result);
  } catch {
    // A getter that throws on `then` (or a tag): it is returned as it is, as a plain value.
    shape = 'plain';
  }
  if (shape === 'thenable') {
    if ((plan.thenables ??= new ThenableObserver()).observe(result as PromiseLike<unknown>, completionOf(plan, states))) return result;
  } else if (shape === 'generator') {
    if (observeGenerator(result, completionOf(plan, states))) return result;
  } else if (shape === 'observable') {
    return observeUntilDone(result as Observable<unknown>, plan, states);
  }
  endAll(plan, states, undefined, false, result);
  return result;
}

function shapeOf(result: object): 'thenable' | 'generator' | 'observable' | 'plain' {
  if (typeof (result as PromiseLike<unknown>).then === 'function') return 'thenable';
  if (isGenerator(result)) return 'generator';
  if (isObservable(result) && isPlainObservable(result)) return 'observable';
  return 'plain';
}

/** An Observable that is only that: not a Subject (an Observer too), not a subclass with methods of its own. */
function isPlainObservable(value: Observable<unknown>): boolean {
  if (typeof (value as { next?: unknown }).next === 'function') return false;
  const prototype = Object.getPrototypeOf(value);
  // Another copy of rxjs has its own Observable.prototype: recognise it by name.
  return prototype === Observable.prototype || prototype?.constructor?.name === 'Observable';
}

/** Ends every layer, innermost first, as the nested wrappers of old did. */
function endAll(plan: InvocationPlan, states: unknown[], error: unknown, failed: boolean, value: unknown): void {
  const listeners = plan.listeners;
  for (let i = listeners.length - 1; i >= 0; i--) safeEnd(listeners[i], states[i], error, failed, value);
}

function cancelAll(plan: InvocationPlan, states: unknown[]): void {
  const listeners = plan.listeners;
  for (let i = listeners.length - 1; i >= 0; i--) {
    try {
      listeners[i].cancel?.(states[i]);
    } catch (listenerError) {
      warnListener(listenerError);
    }
  }
}

/** Runs `body` inside the contexts of every layer, outermost first, like the method body itself. */
function runInside<R>(plan: InvocationPlan, states: unknown[], body: () => R, from = 0): R {
  const listeners = plan.listeners;
  for (let i = from; i < listeners.length; i++) {
    const listener = listeners[i];
    if (listener.run !== undefined) return listener.run(states[i], () => runInside(plan, states, body, i + 1));
  }
  return body();
}

/** The one-shot `Completion` of a call: ends (or cancels) every layer exactly once. */
function completionOf(plan: InvocationPlan, states: unknown[]): Completion {
  let done = false;
  const completion: Completion = {
    end(error, failed, value) {
      if (done) return;
      done = true;
      endAll(plan, states, error, failed, value);
    },
    cancel() {
      if (done) return;
      done = true;
      cancelAll(plan, states);
    },
    run: (body) => runInside(plan, states, body),
    runOrFail(body) {
      try {
        return runInside(plan, states, body);
      } catch (error) {
        completion.end(error, true, undefined);
        throw error;
      }
    },
  };
  return completion;
}

function observeUntilDone(source: Observable<unknown>, plan: InvocationPlan, states: unknown[]): Observable<unknown> {
  const completion = completionOf(plan, states);
  return new Observable((subscriber) => {
    const subscription = completion.run(() =>
      source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error) => {
          completion.end(error, true, undefined);
          subscriber.error(error);
        },
        complete: () => {
          completion.end(undefined, false, undefined);
          subscriber.complete();
        },
      }),
    );
    return () => {
      subscription.unsubscribe();
      completion.cancel();
    };
  });
}

// A listener must never turn a successful call into a failed one.
function safeEnd(listener: InvocationListener<unknown>, state: unknown, error: unknown, failed: boolean, value: unknown): void {
  try {
    listener.end(state, error, failed, value);
  } catch (listenerError) {
    warnListener(listenerError);
  }
}

/** Says that a listener threw (once per call; the call itself goes on unchanged). */
export function warnListener(listenerError: unknown): void {
  let text: string;
  try {
    text = String(listenerError);
  } catch {
    text = Object.prototype.toString.call(listenerError);
  }
  process.emitWarning(`nestjs-observability: an instrumentation listener failed: ${text}`);
}
