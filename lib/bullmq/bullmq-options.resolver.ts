import { ObservabilityConfigError } from '../observability-config.error';
import { checkMilliseconds, unknownOptionError } from '../observability-options.resolver';
import { checkContextMode } from '../messaging/messaging-options.resolver';
import { BullMqOptions, ResolvedBullMqOptions } from './bullmq-options.interface';

/** @default 500 ms: a scrape waits this long for one queue's counts. */
export const DEFAULT_QUEUE_READ_TIMEOUT_MS = 500;

/** Applies the defaults of `bullmq` and validates it (called by `resolveObservabilityOptions`). On by default. */
export function resolveBullMqOptions(input: false | BullMqOptions | undefined): ResolvedBullMqOptions {
  const b = input === false || input === undefined ? {} : input;
  if (!isObject(b)) throw ObservabilityConfigError.invalidOption('bullmq', 'an object or false', b);
  checkKeys('bullmq', b, ['jobContext', 'queueMetrics']);
  const jobContext = checkContextMode('bullmq.jobContext', b.jobContext, 'child');
  const q = b.queueMetrics ?? false;
  if (typeof q === 'boolean') return { enabled: input !== false, jobContext, queueMetrics: { enabled: q, queues: null, timeoutMs: DEFAULT_QUEUE_READ_TIMEOUT_MS } };
  if (!isObject(q)) throw ObservabilityConfigError.invalidOption('bullmq.queueMetrics', 'true, false or an object like { queues: ["emails"] }', q);
  checkKeys('bullmq.queueMetrics', q, ['queues', 'timeoutMs']);
  if (q.queues !== undefined && (!Array.isArray(q.queues) || q.queues.length === 0 || q.queues.some((n) => typeof n !== 'string' || n === ''))) {
    throw ObservabilityConfigError.invalidOption('bullmq.queueMetrics.queues', 'a non-empty array of queue names', q.queues);
  }
  return {
    enabled: input !== false,
    jobContext,
    queueMetrics: {
      enabled: true,
      queues: q.queues ? [...new Set(q.queues)] : null,
      timeoutMs: q.timeoutMs === undefined ? DEFAULT_QUEUE_READ_TIMEOUT_MS : checkMilliseconds('bullmq.queueMetrics.timeoutMs', q.timeoutMs, 1),
    },
  };
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(path: string, value: object, allowed: string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw unknownOptionError(`${path}.${key}`, key, `"${path}"`, allowed);
  }
}
