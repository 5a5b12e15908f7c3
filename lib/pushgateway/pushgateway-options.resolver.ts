import { ObservabilityConfigError } from '../observability-config.error';
// Called at resolve time only, so the cycle with the root resolver is harmless.
import { checkMilliseconds } from '../observability-options.resolver';
import { PushgatewayOptions, ResolvedPushgatewayOptions } from './pushgateway-options.interface';

const KEYS = ['url', 'job', 'groupingKey', 'intervalMs', 'onShutdown', 'timeoutMs', 'headers'];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const DISABLED: ResolvedPushgatewayOptions = { enabled: false, groupUrl: '', group: '', intervalMs: 0, onShutdown: 'none', timeoutMs: 0, headers: {} };

/** Applies the defaults of `pushgateway` and validates it (called by `resolveObservabilityOptions`). */
export function resolvePushgatewayOptions(input: false | PushgatewayOptions | undefined, metricsEnabled: boolean): ResolvedPushgatewayOptions {
  if (input === undefined || input === false) return { ...DISABLED, headers: {} };
  if (!metricsEnabled) throw new ObservabilityConfigError('Option "pushgateway" pushes the metrics, but "metrics" is false: switch metrics on, or drop "pushgateway".');
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw ObservabilityConfigError.invalidOption('pushgateway', 'an object like { url, job }, or false', input);
  }
  for (const key of Object.keys(input)) {
    if (!KEYS.includes(key)) throw new ObservabilityConfigError(`Unknown option "pushgateway.${key}". Known options of "pushgateway": ${KEYS.join(', ')}.`);
  }
  let base: URL;
  try {
    base = new URL(String(input.url));
  } catch {
    throw ObservabilityConfigError.invalidOption('pushgateway.url', 'an http: or https: URL like "http://pushgateway:9091"', input.url);
  }
  if ((base.protocol !== 'http:' && base.protocol !== 'https:') || typeof input.url !== 'string' || base.search || base.hash) {
    throw ObservabilityConfigError.invalidOption('pushgateway.url', 'an http: or https: URL like "http://pushgateway:9091", without query or fragment', input.url);
  }
  if (base.username || base.password) {
    throw new ObservabilityConfigError('Invalid option "pushgateway.url": credentials in the URL are not sent; give them as pushgateway.headers, like { authorization: "Basic …" }.');
  }
  if (typeof input.job !== 'string' || input.job === '') throw ObservabilityConfigError.invalidOption('pushgateway.job', 'a non-empty string', input.job);
  const groupingKey = input.groupingKey ?? {};
  if (typeof groupingKey !== 'object' || groupingKey === null || Array.isArray(groupingKey)) {
    throw ObservabilityConfigError.invalidOption('pushgateway.groupingKey', 'an object of label name to string value', groupingKey);
  }
  for (const [name, value] of Object.entries(groupingKey)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__') || name === 'job') {
      throw ObservabilityConfigError.invalidOption(`pushgateway.groupingKey.${name}`, 'a Prometheus label name other than "job" (which is pushgateway.job)', name);
    }
    if (typeof value !== 'string') throw ObservabilityConfigError.invalidOption(`pushgateway.groupingKey.${name}`, 'a string value', value);
  }
  const onShutdown = input.onShutdown ?? 'push';
  if (!['push', 'delete', 'none'].includes(onShutdown)) throw ObservabilityConfigError.invalidOption('pushgateway.onShutdown', '"push", "delete" or "none"', onShutdown);
  const headers = input.headers ?? {};
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
    // Never echo the value: headers carry credentials.
    throw new ObservabilityConfigError('Invalid option "pushgateway.headers": expected an object of header name to string value.');
  }
  const labels: Array<[string, string]> = [['job', input.job], ...Object.entries(groupingKey)];
  const path = labels.map(([name, value]) => groupingSegment(name, value)).join('/');
  return {
    enabled: true,
    groupUrl: `${base.origin}${base.pathname.replace(/\/+$/, '')}/metrics/${path}`,
    group: labels.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(', '),
    intervalMs: checkMilliseconds('pushgateway.intervalMs', input.intervalMs ?? 15_000, 0),
    onShutdown,
    timeoutMs: checkMilliseconds('pushgateway.timeoutMs', input.timeoutMs ?? 5000, 1),
    headers: { ...headers },
  };
}

/**
 * One `/<label>/<value>` of the grouping key. A value with a `/`, or an empty one, goes base64url-encoded
 * (`<label>@base64/<value>`, `=` for empty), as the Pushgateway's API asks; others are percent-encoded.
 */
function groupingSegment(name: string, value: string): string {
  if (value === '' || value.includes('/')) return `${name}@base64/${Buffer.from(value).toString('base64url') || '='}`;
  return `${name}/${encodeURIComponent(value)}`;
}
