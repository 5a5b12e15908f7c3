import { isObservable, Observable } from 'rxjs';
import { InvocationListener } from './instrumentation-spec.interface';

/** The body of an instrumented method, with `this` and arguments passed explicitly. */
export type MethodBody = (thisArg: unknown, args: unknown[]) => unknown;

/**
 * The one shared wrapper behind `@Counted()`, `@Timed()` and `@Traced()`. It calls `body`,
 * tells `listener` when the call really ends (sync return, Promise settle, Observable
 * complete/error) and hands back the result, or rethrows the very same error.
 * Whether a result is a Promise is decided from the value returned, never from the
 * function's declared kind, so a plain function that returns a Promise is timed to its end.
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
    return (result as PromiseLike<unknown>).then(
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
  if (isObservable(result)) {
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
