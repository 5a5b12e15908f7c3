import { MAX_TIMER_MS } from '../../observability.constants';
import { ObservabilityConfigError } from '../../observability-config.error';
import type { ObservabilitySdkOptions } from './observability-sdk-options.interface';

const ENV_TIMERS = ['OTEL_BSP_SCHEDULE_DELAY', 'OTEL_BSP_EXPORT_TIMEOUT', 'OTEL_METRIC_EXPORT_INTERVAL', 'OTEL_METRIC_EXPORT_TIMEOUT'];

/**
 * Refuses an SDK delay or timeout above 2^31−1 ms, given as an option or an `OTEL_*` variable: Node's
 * timers would turn it into 1 ms (an export loop that never pauses, a timeout that fires at once).
 */
export function checkSdkTimers(options: ObservabilitySdkOptions, env: NodeJS.ProcessEnv = process.env): void {
  const given: Array<[string, unknown]> = [
    ['startObservabilitySdk: scheduledDelayMillis', options.scheduledDelayMillis],
    ['startObservabilitySdk: exportTimeoutMillis', options.exportTimeoutMillis],
  ];
  if (options.metrics) {
    given.push(['startObservabilitySdk: metrics.exportIntervalMillis', options.metrics.exportIntervalMillis]);
    given.push(['startObservabilitySdk: metrics.exportTimeoutMillis', options.metrics.exportTimeoutMillis]);
  }
  for (const name of ENV_TIMERS) {
    const raw = env[name]?.trim();
    if (raw) given.push([name, Number(raw)]);
  }
  for (const [option, value] of given) {
    if (typeof value === 'number' && value > MAX_TIMER_MS) {
      throw ObservabilityConfigError.invalidOption(option, `at most ${MAX_TIMER_MS} ms (2^31−1, Node's timer limit)`, value);
    }
  }
}
