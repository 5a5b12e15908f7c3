import { ObservabilityConfigError } from '../observability-config.error';
import { DEFAULT_HTTP_BUCKETS } from '../observability.constants';
import { checkBuckets } from '../observability-options.resolver';
import { ResolvedWebSocketOptions, WebSocketOptions } from './websocket-options.interface';

/** Applies the defaults of `websockets` and validates it (called by `resolveObservabilityOptions`). On by default. */
export function resolveWebSocketOptions(input: false | WebSocketOptions | undefined): ResolvedWebSocketOptions {
  const w = input === false || input === undefined ? {} : input;
  if (typeof w !== 'object' || w === null || Array.isArray(w)) throw ObservabilityConfigError.invalidOption('websockets', 'an object or false', w);
  for (const key of Object.keys(w)) {
    if (key !== 'buckets') throw new ObservabilityConfigError(`Unknown option "websockets.${key}". Known options of "websockets": buckets.`);
  }
  return { enabled: input !== false, buckets: checkBuckets('websockets.buckets', w.buckets ?? [...DEFAULT_HTTP_BUCKETS]) };
}
