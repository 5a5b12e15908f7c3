import { InvocationListener } from './instrumentation-spec.interface';

/** Ends one measurement exactly once: `end` on settle/finish, `cancel` when the consumer stops early. */
export interface Completion {
  end(error: unknown, failed: boolean): void;
  cancel(): void;
  /** Runs `body` inside the measurement's context (the method's span), like the method body itself. */
  run<R>(body: () => R): R;
  /** `run`, and a synchronous throw of `body` ends the measurement as failed before it is rethrown. */
  runOrFail<R>(body: () => R): R;
}

/** Builds the one-shot `Completion` of a call for a listener. */
export function completionOf<S>(listener: InvocationListener<S>, state: S, safeEnd: (error: unknown, failed: boolean) => void): Completion {
  let done = false;
  const completion: Completion = {
    end(error, failed) {
      if (done) return;
      done = true;
      safeEnd(error, failed);
    },
    cancel() {
      if (done) return;
      done = true;
      listener.cancel?.(state);
    },
    run: (body) => (listener.run ? listener.run(state, body) : body()),
    runOrFail(body) {
      try {
        return completion.run(body);
      } catch (error) {
        completion.end(error, true);
        throw error;
      }
    },
  };
  return completion;
}

/**
 * A thenable that is not a native Promise (mongoose `Query`, a knex builder, Prisma's `PrismaPromise`) is
 * returned as the very same object, unexecuted: same identity, same methods (`.lean()`, `.where()`). The
 * measurement ends when the object runs: the first call to its `then` (what `await`, `Promise.all` and
 * most libraries' `.catch()`/`.finally()` do) or to its `exec` (mongoose) settles. To see that call, an own,
 * non-enumerable `then` (and `exec`) is put on the object, which delegates to the original.
 *
 * Returns false when the object cannot take an own property (frozen): the caller then ends the measurement
 * at once, as for a plain value.
 */
export function observeLazyThenable(thenable: object, completion: Completion): boolean {
  if (!Object.isExtensible(thenable)) return false;
  const target = thenable as { then: PromiseLike<unknown>['then']; exec?: (...args: unknown[]) => unknown };
  const originalThen = target.then;
  let started = false;
  const wrappedThen = function (this: unknown, onFulfilled?: unknown, onRejected?: unknown) {
    if (started) return originalThen.call(this, onFulfilled as any, onRejected as any);
    started = true;
    return completion.run(() =>
      originalThen.call(
        this,
        (value: unknown) => {
          completion.end(undefined, false);
          return typeof onFulfilled === 'function' ? onFulfilled(value) : value;
        },
        (error: unknown) => {
          completion.end(error, true);
          if (typeof onRejected === 'function') return onRejected(error);
          throw error;
        },
      ),
    );
  };
  try {
    Object.defineProperty(thenable, 'then', { value: wrappedThen, writable: true, configurable: true, enumerable: false });
    const originalExec = target.exec;
    if (typeof originalExec === 'function') {
      const wrappedExec = function (this: unknown, ...args: unknown[]) {
        if (started) return originalExec.apply(this, args);
        started = true;
        return settleOf(completion.runOrFail(() => originalExec.apply(this, args)), completion);
      };
      Object.defineProperty(thenable, 'exec', { value: wrappedExec, writable: true, configurable: true, enumerable: false });
    }
  } catch {
    // A non-configurable own `then` (a proxy, a sealed property): keep the object as it is.
    return false;
  }
  return true;
}

/** Ends the measurement when what `exec()` returned settles; a non-thenable ends it at once. */
function settleOf(result: unknown, completion: Completion): unknown {
  if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<unknown>).then !== 'function') {
    completion.end(undefined, false);
    return result;
  }
  return (result as PromiseLike<unknown>).then(
    (value) => {
      completion.end(undefined, false);
      return value;
    },
    (error) => {
      completion.end(error, true);
      throw error;
    },
  );
}

const GENERATOR_TAGS = new Set(['[object Generator]', '[object AsyncGenerator]']);

/** Whether a value is a generator object (from a `function*` or `async function*`). */
export function isGenerator(value: object): boolean {
  return GENERATOR_TAGS.has(Object.prototype.toString.call(value));
}

/**
 * A generator is returned as the very same object, and the measurement covers its iteration: it ends
 * with success when the iteration finishes (`done`), with failure when `next()`/`throw()` throws (or, for
 * an async generator, rejects), and is cancelled when the consumer stops early (`return()`, e.g. `break`
 * out of `for await`), like an Observable unsubscribed. Each step runs inside the method's context.
 */
export function observeGenerator(generator: object, completion: Completion): boolean {
  if (!Object.isExtensible(generator)) return false;
  const async = Object.prototype.toString.call(generator) === '[object AsyncGenerator]';
  const target = generator as Record<'next' | 'throw' | 'return', (...args: unknown[]) => unknown>;
  const step = (method: 'next' | 'throw' | 'return') => {
    const original = target[method];
    return function (this: unknown, ...args: unknown[]) {
      if (method === 'return') completion.cancel();
      const result = completion.runOrFail(() => original.apply(this, args));
      if (!async) {
        if ((result as IteratorResult<unknown>).done) completion.end(undefined, false);
        return result;
      }
      return (result as Promise<IteratorResult<unknown>>).then(
        (item) => {
          if (item.done) completion.end(undefined, false);
          return item;
        },
        (error) => {
          completion.end(error, true);
          throw error;
        },
      );
    };
  };
  for (const method of ['next', 'throw', 'return'] as const) {
    Object.defineProperty(generator, method, { value: step(method), writable: true, configurable: true, enumerable: false });
  }
  return true;
}
