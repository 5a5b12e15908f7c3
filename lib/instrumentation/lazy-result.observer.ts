/** Ends one measurement exactly once: `end` on settle/finish, `cancel` when the consumer stops early. */
export interface Completion {
  /** `value` is the resolved value on success, for `onResult`-style listeners. */
  end(error: unknown, failed: boolean, value: unknown): void;
  cancel(): void;
  /** Runs `body` inside the measurement's context (the method's span), like the method body itself. */
  run<R>(body: () => R): R;
  /** `run`, and a synchronous throw of `body` ends the measurement as failed before it is rethrown. */
  runOrFail<R>(body: () => R): R;
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
        if ((result as IteratorResult<unknown>).done) completion.end(undefined, false, undefined);
        return result;
      }
      return (result as Promise<IteratorResult<unknown>>).then(
        (item) => {
          if (item.done) completion.end(undefined, false, undefined);
          return item;
        },
        (error) => {
          completion.end(error, true, undefined);
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
