import { ObservabilityConfigError } from '../observability-config.error';
// Called at resolve time only, so the cycle with the root resolver is harmless.
import { checkBuckets } from '../observability-options.resolver';
import { EventsObservabilityOptions, ResolvedBackgroundOptions, ScheduleObservabilityOptions } from './background-options.interface';

/**
 * Applies the defaults of `schedule` or `events` and validates it (called by
 * `resolveObservabilityOptions`). Both are on by default: they only act on methods that carry the
 * packages' own decorators, so an app without `@nestjs/schedule` or `@nestjs/event-emitter` sees nothing.
 */
export function resolveBackgroundOptions(
  key: 'schedule' | 'events',
  input: boolean | ScheduleObservabilityOptions | EventsObservabilityOptions | undefined,
  defaultBuckets: readonly number[],
): ResolvedBackgroundOptions {
  if (input === false) return { enabled: false, buckets: [...defaultBuckets] };
  const o = input === undefined || input === true ? {} : input;
  if (typeof o !== 'object' || o === null || Array.isArray(o)) {
    throw ObservabilityConfigError.invalidOption(key, 'true, false or an object', o);
  }
  for (const name of Object.keys(o)) {
    if (name !== 'buckets') throw new ObservabilityConfigError(`Unknown option "${key}.${name}". Known options of "${key}": buckets.`);
  }
  return { enabled: true, buckets: o.buckets === undefined ? [...defaultBuckets] : checkBuckets(`${key}.buckets`, o.buckets) };
}
