import { types } from 'node:util';
import { Completion } from './lazy-result.observer';

type Then = PromiseLike<unknown>['then'];
type Exec = (...args: unknown[]) => unknown;

/** What the observer knows of one thenable it was handed. */
interface Tracked {
  phase: 'waiting' | 'running' | 'settled';
  readonly completion: Completion;
  restore: () => void;
  failed: boolean;
  error: unknown;
}

const nativeThen = Promise.prototype.then;

/**
 * Observes thenables that are not Promises (mongoose `Query`, knex builders, `PrismaPromise`, Bluebird) without
 * running them and without changing what the caller can see of them: the very same object comes back,
 * unexecuted, and gains no own property (`Object.keys`, `hasOwnProperty('then')` are unchanged).
 *
 * The measurement ends when the object runs: the first call to its `then` (what `await`, `Promise.all` and
 * most libraries' `.catch()`/`.finally()` do) or to its `exec` (mongoose) settles. To see that call:
 * - an inherited `then` (a class's) is seen through a *shadow prototype*: the object's prototype is, until it
 *   runs, a child of its own prototype (one per prototype and per method) whose `then`/`exec` end the
 *   measurement; `instanceof`, `constructor` and every method stay what they were, and the first run puts the
 *   object's own prototype back;
 * - an own `then` (an object literal such as `PrismaPromise`) is swapped, with the same attributes, for one
 *   that ends the measurement, and put back at the first run.
 *
 * One observer per instrumented method (per plan), holding weak references only. A thenable that a later call
 * returns again (a cache) is hooked once: that call is a cache hit, ended at once, as a failure if the thenable
 * has already rejected. So a cached thenable costs nothing per call and never grows.
 */
export class ThenableObserver {
  private readonly tracked = new WeakMap<object, Tracked>();
  private readonly shadows = new WeakMap<object, object>();

  /** Returns false when the object cannot be observed (frozen, a non-configurable `then`): measure it at once. */
  observe(thenable: PromiseLike<unknown>, completion: Completion): boolean {
    const known = this.tracked.get(thenable);
    if (known !== undefined) {
      if (known.phase === 'settled' && known.failed) completion.end(known.error, true, undefined);
      else completion.end(undefined, false, undefined);
      return true;
    }
    const entry: Tracked = { phase: 'waiting', completion, restore: noop, failed: false, error: undefined };
    let restore: (() => void) | undefined;
    try {
      restore = this.hook(thenable);
    } catch {
      restore = undefined;
    }
    if (restore === undefined) return false;
    entry.restore = restore;
    this.tracked.set(thenable, entry);
    return true;
  }

  private hook(thenable: object): (() => void) | undefined {
    const own = Object.getOwnPropertyDescriptor(thenable, 'then');
    if (own !== undefined) {
      if (!own.configurable || typeof own.value !== 'function') return undefined;
      const originalThen = own.value as Then;
      const observer = this;
      Object.defineProperty(thenable, 'then', {
        ...own,
        value: function (this: unknown, onFulfilled?: unknown, onRejected?: unknown) {
          return observer.runThen(thenable, this, originalThen, onFulfilled, onRejected);
        },
      });
      return () => Object.defineProperty(thenable, 'then', own);
    }
    const prototype = Object.getPrototypeOf(thenable) as object | null;
    if (prototype === null || !Object.isExtensible(thenable)) return undefined;
    Object.setPrototypeOf(thenable, this.shadowOf(prototype));
    return () => Object.setPrototypeOf(thenable, prototype);
  }

  /** The shadow prototype of `prototype`: made once per observer, kept as long as `prototype` lives. */
  private shadowOf(prototype: object): object {
    let shadow = this.shadows.get(prototype);
    if (shadow !== undefined) return shadow;
    const observer = this;
    const originalThen = (prototype as { then: Then }).then;
    const originalExec = (prototype as { exec?: unknown }).exec;
    const methods: PropertyDescriptorMap = {
      then: {
        value: function (this: object, onFulfilled?: unknown, onRejected?: unknown) {
          return observer.runThen(this, this, originalThen, onFulfilled, onRejected);
        },
        writable: true,
        configurable: true,
      },
    };
    if (typeof originalExec === 'function') {
      methods.exec = {
        value: function (this: object, ...args: unknown[]) {
          return observer.runExec(this, originalExec as Exec, args);
        },
        writable: true,
        configurable: true,
      };
    }
    shadow = Object.create(prototype, methods) as object;
    this.shadows.set(prototype, shadow);
    return shadow;
  }

  private start(thenable: object): Tracked | undefined {
    const entry = this.tracked.get(thenable);
    if (entry === undefined || entry.phase !== 'waiting') return undefined;
    entry.phase = 'running';
    entry.restore();
    return entry;
  }

  private runThen(thenable: object, receiver: unknown, originalThen: Then, onFulfilled?: unknown, onRejected?: unknown): unknown {
    const entry = this.start(thenable);
    if (entry === undefined) return originalThen.call(receiver, onFulfilled as never, onRejected as never);
    return entry.completion.runOrFail(() =>
      originalThen.call(
        receiver,
        (value: unknown) => {
          settle(entry, undefined, false, value);
          return typeof onFulfilled === 'function' ? onFulfilled(value) : value;
        },
        (error: unknown) => {
          settle(entry, error, true, undefined);
          if (typeof onRejected === 'function') return onRejected(error);
          throw error;
        },
      ),
    );
  }

  private runExec(thenable: object, originalExec: Exec, args: unknown[]): unknown {
    const entry = this.start(thenable);
    if (entry === undefined) return originalExec.apply(thenable, args);
    const result = entry.completion.runOrFail(() => originalExec.apply(thenable, args));
    // What exec() returned is handed back as it is; the measurement only watches it settle.
    const done = (value: unknown) => settle(entry, undefined, false, value);
    const failed = (error: unknown) => settle(entry, error, true, undefined);
    try {
      if (result !== null && typeof result === 'object' && !types.isProxy(result)) {
        if (types.isPromise(result)) {
          nativeThen.call(result, done, failed);
          return result;
        }
        if (typeof (result as PromiseLike<unknown>).then === 'function') {
          (result as PromiseLike<unknown>).then(done, failed);
          return result;
        }
      }
    } catch {
      // Fall through: measured as done.
    }
    done(result);
    return result;
  }
}

function settle(entry: Tracked, error: unknown, failed: boolean, value: unknown): void {
  if (entry.phase === 'settled') return;
  entry.phase = 'settled';
  entry.failed = failed;
  entry.error = failed ? error : undefined;
  entry.completion.end(error, failed, value);
}

function noop(): void {}
