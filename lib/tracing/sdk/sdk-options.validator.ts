import { ObservabilityConfigError } from '../../observability-config.error';
import type { ObservabilitySdkOptions } from './observability-sdk-options.interface';

/** Sizes that must be whole numbers of at least 1: an option, or the `OTEL_*` variable it falls back to. */
const SIZES: Array<{ option: 'maxQueueSize' | 'maxExportBatchSize'; env: string }> = [
  { option: 'maxQueueSize', env: 'OTEL_BSP_MAX_QUEUE_SIZE' },
  { option: 'maxExportBatchSize', env: 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE' },
];

/**
 * Refuses `startObservabilitySdk()` options (and the variables they fall back to) that would start an SDK which
 * quietly does something else than asked:
 * - `maxQueueSize` NaN let the queue grow without bound; 0 or −1, or `maxExportBatchSize` 0, dropped every span;
 * - `sampleRatio` `'0.5'` (a string) or NaN sampled every trace, 1.5 or −1 were clamped;
 * - a negative or NaN delay, or an export timeout of 0 (every export cancelled at once).
 * (Delays above Node's timer limit are `checkSdkTimers()`'s.)
 *
 * @example
 * checkSdkOptions({ maxQueueSize: 0 }) // throws ObservabilityConfigError: Invalid option "startObservabilitySdk: maxQueueSize": …
 */
export function checkSdkOptions(options: ObservabilitySdkOptions, env: NodeJS.ProcessEnv = process.env): void {
  for (const { option, env: variable } of SIZES) {
    const value = options[option];
    if (value !== undefined) {
      if (!isWholeAtLeastOne(value)) throw ObservabilityConfigError.invalidOption(`startObservabilitySdk: ${option}`, 'a whole number of at least 1', value);
      continue;
    }
    const raw = env[variable]?.trim();
    if (raw && !isWholeAtLeastOne(Number(raw))) throw ObservabilityConfigError.invalidOption(variable, 'a whole number of at least 1', raw);
  }
  const { sampleRatio } = options;
  if (sampleRatio !== undefined && !(typeof sampleRatio === 'number' && sampleRatio >= 0 && sampleRatio <= 1)) {
    throw ObservabilityConfigError.invalidOption('startObservabilitySdk: sampleRatio', 'a number from 0 to 1 (0.25 samples a quarter of new traces)', sampleRatio);
  }
  const delay = options.scheduledDelayMillis;
  if (delay !== undefined && !(typeof delay === 'number' && delay >= 0)) {
    throw ObservabilityConfigError.invalidOption('startObservabilitySdk: scheduledDelayMillis', 'a number of milliseconds, 0 or more', delay);
  }
  const timeout = options.exportTimeoutMillis;
  if (timeout !== undefined && !(typeof timeout === 'number' && timeout > 0)) {
    throw ObservabilityConfigError.invalidOption('startObservabilitySdk: exportTimeoutMillis', 'a number of milliseconds above 0', timeout);
  }
}

function isWholeAtLeastOne(value: unknown): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1;
}
