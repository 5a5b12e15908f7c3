import { isObservable, Observable } from 'rxjs';
import { InvocationListener } from './instrumentation-spec.interface';
import { completionOf, isGenerator, observeGenerator, observeLazyThenable } from './lazy-result.observer';

/** The body of an instrumented method, with `this` and arguments passed explicitly. */
export type MethodBody = (thisArg: unknown, args: unknown[]) => unknown;

/**
 * The one shared wrapper behind `@Counted()`, `@Timed()` and `@Traced()`. It calls `body`,
 * tells `listener` when the call really ends and hands back what the method returned, or rethrows
 * the very same error. What "ends" means is decided from the value returned, never from the
 * function's declared kind:
 * - a plain value or a throw: at once;
 * - a native Promise: when it settles (the caller gets the chained Promise, as an `async` method would);
 * - any other thenable (mongoose `Query`, knex builder, `PrismaPromise`): the very same object, unexecuted,
 *   measured when it runs (see `observeLazyThenable`);
 * - a generator or async generator: the very same object, measured over its iteration (see `observeGenerator`);
 * - an Observable: on complete or error, per subscription.
 */
export function invokeInstrumented<S>(body: MethodBody, thisArg: unknown, args: unknown[], listener: InvocationListener<S>): unknown {
  const state = listener.start(thisArg, args);
  let result: unknown;
  try {
    result = listener.run ? listener.run(state, () => body(thisArg, args)) : body(thisArg, args);
  } catch (error) {
    safeEnd(listener, state, error, true);
    throw error;
  }
  if (result === null || typeof result !== 'object') {
    safeEnd(listener, state, undefined, false);
    return result;
  }
  if (typeof (result as PromiseLike<unknown>).then === 'function') {
    if (Object.getPrototypeOf(result) === Promise.prototype && !Object.prototype.hasOwnProperty.call(result, 'then')) {
      return (result as Promise<unknown>).then(
        (value) => {
          safeEnd(listener, state, undefined, false);
          return value;
        },
        (error) => {
          safeEnd(listener, state, error, true);
          throw error;
        },
      );
    }
    if (observeLazyThenable(result, completionOf(listener, state, (error, failed) => safeEnd(listener, state, error, failed)))) return result;
  } else if (isGenerator(result)) {
    if (observeGenerator(result, completionOf(listener, state, (error, failed) => safeEnd(listener, state, error, failed)))) return result;
  } else if (isObservable(result)) {
    return observeUntilDone(result, state, listener);
  }
  safeEnd(listener, state, undefined, false);
  return result;
}

function observeUntilDone<S>(source: Observable<unknown>, state: S, listener: InvocationListener<S>): Observable<unknown> {
  let ended = false;
  const finish = (error: unknown, failed: boolean) => {
    if (ended) return;
    ended = true;
    safeEnd(listener, state, error, failed);
  };
  return new Observable((subscriber) => {
    const subscribe = () =>
      source.subscribe({
        next: (value) => subscriber.next(value),
        error: (error) => {
          finish(error, true);
          subscriber.error(error);
        },
        complete: () => {
          finish(undefined, false);
          subscriber.complete();
        },
      });
    const subscription = listener.run ? listener.run(state, subscribe) : subscribe();
    return () => {
      subscription.unsubscribe();
      if (!ended) {
        ended = true;
        listener.cancel?.(state);
      }
    };
  });
}

// A listener must never turn a successful call into a failed one.
function safeEnd<S>(listener: InvocationListener<S>, state: S, error: unknown, failed: boolean): void {
  try {
    listener.end(state, error, failed);
  } catch (listenerError) {
    process.emitWarning(`nestjs-observability: an instrumentation listener failed: ${String(listenerError)}`);
  }
}
