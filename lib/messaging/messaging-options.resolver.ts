import { ObservabilityConfigError } from '../observability-config.error';
import { unknownOptionError } from '../observability-options.resolver';
import { MessageContextMode, MessagingOptions, ResolvedMessagingOptions } from './messaging-options.interface';

const CONTEXT_MODES: readonly MessageContextMode[] = ['link', 'child'];

/** Validates a `link` / `child` option. */
export function checkContextMode(option: string, value: unknown, fallback: MessageContextMode): MessageContextMode {
  if (value === undefined) return fallback;
  if (!CONTEXT_MODES.includes(value as MessageContextMode)) throw ObservabilityConfigError.invalidOption(option, '"link" or "child"', value);
  return value as MessageContextMode;
}

/** Applies the defaults of `messaging` and validates it (called by `resolveObservabilityOptions`). On by default. */
export function resolveMessagingOptions(input: false | MessagingOptions | undefined): ResolvedMessagingOptions {
  const m = input === false || input === undefined ? {} : input;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw ObservabilityConfigError.invalidOption('messaging', 'an object or false', m);
  for (const key of Object.keys(m)) {
    if (key !== 'eventContext') throw unknownOptionError(`messaging.${key}`, key, '"messaging"', ['eventContext']);
  }
  return { enabled: input !== false, eventContext: checkContextMode('messaging.eventContext', m.eventContext, 'link') };
}
