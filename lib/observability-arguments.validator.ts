import { ObservabilityConfigError } from './observability-config.error';
import { checkMilliseconds, unknownOptionError } from './observability-options.resolver';

/** How long `forRootAsync()` waits for its options by default, ms. */
export const DEFAULT_OPTIONS_TIMEOUT_MS = 10_000;

const ASYNC_KEYS = ['useFactory', 'useClass', 'useExisting', 'inject', 'imports', 'provideInjectionTokensFrom', 'isGlobal', 'optionsTimeoutMs'];
const SOURCES = ['useFactory', 'useClass', 'useExisting'] as const;

/**
 * Checks the argument of `forRoot()` before Nest's module builder spreads it (which would turn
 * `'x'` into `{ 0: 'x' }` and `[]` into `{}`), and its `isGlobal` extra, which the resolver never sees.
 */
export function checkForRootArgument(options: unknown): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw ObservabilityConfigError.invalidOption('ObservabilityModule.forRoot(options)', 'an options object, like { metrics: { path: "/metrics" } }, or nothing', options);
  }
  checkIsGlobal((options as { isGlobal?: unknown }).isGlobal);
}

/**
 * Checks the argument of `forRootAsync()`: exactly one source of options (instead of Nest's
 * `UndefinedDependencyException` when none is given), `inject`/`imports` arrays, `isGlobal`,
 * `optionsTimeoutMs`. Returns the timeout to apply to the options factory.
 */
export function checkForRootAsyncArgument(options: unknown): number {
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw ObservabilityConfigError.invalidOption('ObservabilityModule.forRootAsync(options)', 'an object with useFactory, useClass or useExisting', options);
  }
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!ASYNC_KEYS.includes(key)) {
      throw unknownOptionError(`forRootAsync.${key}`, key, 'forRootAsync()', ASYNC_KEYS);
    }
  }
  const given = SOURCES.filter((key) => o[key] !== undefined);
  if (given.length !== 1) {
    throw new ObservabilityConfigError(
      given.length === 0
        ? 'ObservabilityModule.forRootAsync() needs where its options come from: useFactory (with inject), useClass or useExisting; none was given.'
        : `ObservabilityModule.forRootAsync() takes one of useFactory, useClass or useExisting; got ${given.join(' and ')}.`,
    );
  }
  if (typeof o[given[0]] !== 'function' && given[0] !== 'useExisting') {
    throw ObservabilityConfigError.invalidOption(`forRootAsync.${given[0]}`, given[0] === 'useFactory' ? 'a function that returns the options' : 'a class', o[given[0]]);
  }
  for (const key of ['inject', 'imports'] as const) {
    if (o[key] !== undefined && !Array.isArray(o[key])) throw ObservabilityConfigError.invalidOption(`forRootAsync.${key}`, 'an array', o[key]);
  }
  checkIsGlobal(o.isGlobal);
  return o.optionsTimeoutMs === undefined ? DEFAULT_OPTIONS_TIMEOUT_MS : checkMilliseconds('forRootAsync.optionsTimeoutMs', o.optionsTimeoutMs, 1);
}

/**
 * Wraps the options factory of `forRootAsync()` so that one that never settles fails the boot
 * after `timeoutMs` with a message, instead of hanging it silently.
 */
export function boundOptionsFactory(factory: (...args: any[]) => unknown, timeoutMs: number): (...args: any[]) => Promise<unknown> {
  return (...args) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new ObservabilityConfigError(
            `The options of ObservabilityModule.forRootAsync() did not arrive within ${timeoutMs} ms: its factory (useFactory, or the useClass/useExisting ` +
              `provider's createObservabilityOptions()) never settled. Make it resolve, or raise forRootAsync's "optionsTimeoutMs".`,
          ),
        );
      }, timeoutMs);
      Promise.resolve()
        .then(() => factory(...args))
        .then(resolve, reject)
        .finally(() => clearTimeout(timer));
    });
}

function checkIsGlobal(isGlobal: unknown): void {
  if (isGlobal !== undefined && typeof isGlobal !== 'boolean') {
    throw ObservabilityConfigError.invalidOption('isGlobal', 'a boolean', isGlobal);
  }
}
