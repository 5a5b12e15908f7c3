/** What a method decorator stores: which instrumentation, with which options, on which method. */
export interface InstrumentationSpec<O = unknown> {
  /** The instrumentation kind, e.g. `counted`, `timed`, `traced`. */
  kind: string;
  /** The decorator's options, as given. */
  options: O;
  /** Name of the class that declares the method. */
  className: string;
  /** Name of the method. */
  methodName: string;
}

/**
 * Observes one method call. `start` runs before the method; exactly one of `end` (on
 * return, on resolve or reject, on Observable complete or error) or `cancel` (an Observable
 * unsubscribed before it finished) runs after it.
 */
export interface InvocationListener<S = unknown> {
  start(thisArg: unknown, args: unknown[]): S;
  /**
   * `value` is what the call produced on success: the return value of a synchronous call, the resolved value
   * of a Promise or thenable; `undefined` for a generator or an Observable, and on failure.
   */
  end(state: S, error: unknown, failed: boolean, value?: unknown): void;
  /** Runs the method body (and each Observable subscription) inside a context, e.g. the active span. */
  run?<R>(state: S, body: () => R): R;
  cancel?(state: S): void;
  /**
   * Optional fast path for a listener whose `start` does nothing (returns `undefined`, reads nothing): a call
   * that returned a value other than an object or function, without throwing, runs this instead of `start` and
   * `end` (it must do what `end(undefined, undefined, false, value)` does without reading `value`). Every other
   * call still gets `end(undefined, …)`, without `start`. `@Counted()` has one: one addition, and the fewest
   * frames when the call site is not inlined.
   */
  returned?(): void;
}

/** Turns the specs of one kind into listeners. A part (metrics, tracing) provides one per kind. */
export interface MethodInstrumenter {
  /** The spec kinds this instrumenter handles. */
  readonly kinds: readonly string[];
  /** Outer instrumenters wrap inner ones: tracing (outer) must see metrics record inside its span. */
  readonly order: number;
  /** `null`: this instrumenter has nothing to add to that method (e.g. a part that only wraps resolvers). */
  createListener(spec: InstrumentationSpec, instance: object): InvocationListener<any> | null;
}
