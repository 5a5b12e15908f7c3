import { resolveClusterOptions } from './cluster/cluster-options.resolver';
import { resolveBackgroundOptions } from './background/background-options.resolver';
import { resolvePushgatewayOptions } from './pushgateway/pushgateway-options.resolver';
import { resolveHttpClientOptions } from './http-client/http-client-options.resolver';
import { resolveWebSocketOptions } from './websockets/websocket-options.resolver';
import { resolveGraphQLOptions } from './graphql/graphql-options.resolver';
import { resolveMessagingOptions } from './messaging/messaging-options.resolver';
import { resolveBullMqOptions } from './bullmq/bullmq-options.resolver';
import { DEFAULT_HTTP_BUCKETS, DEFAULT_RENDER_DUTY_CYCLE, DEFAULT_TIMED_BUCKETS, MAX_TIMER_MS } from './observability.constants';
import { ObservabilityConfigError } from './observability-config.error';
import type { OpenTelemetryMetricsOptions, ResolvedOpenTelemetryMetricsOptions } from './metrics/metrics-options.interface';
import { isObservabilityMetricReader } from './metrics/otel/observability-metric.reader';
import {
  DefaultMetricsOptions,
  HttpMetricsOptions,
  MetricsOptions,
  ObservabilityModuleOptions,
  ResolvedHttpMetricsOptions,
  ResolvedMetricsOptions,
  ResolvedObservabilityOptions,
  ResolvedTracingOptions,
  TracingOptions,
  HealthOptions,
  HealthProbe,
  ResolvedHealthOptions,
  ManagementOptions,
  MetricsAuthOptions,
  ResolvedManagementOptions,
  ResolvedMetricsAuth,
} from './observability-options.interface';
import { observabilityEndpointPaths } from './observability-endpoint.util';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
// prom-client writes `le` (histogram buckets) and `quantile` (summaries) itself; `__` names are Prometheus' own.
const RESERVED_LABELS = ['le', 'quantile'];
// One path segment: RFC 3986 unreserved characters only, so no route parameter (`:id`), wildcard or regex.
// Literal segments; not "." or "..", which clients and proxies resolve away (the endpoint would be unreachable).
const PATH_SEGMENT = /^(?!\.+$)[A-Za-z0-9._~-]+$/;
const METRICS_KEYS = ['path', 'defaultMetrics', 'defaultLabels', 'http', 'timedBuckets', 'decorators', 'cluster', 'auth', 'openTelemetry', 'renderDutyCycle'];
const OPEN_TELEMETRY_KEYS = ['reader', 'globalProvider', 'scopeLabels', 'targetInfo'];
const HTTP_KEYS = ['buckets', 'excludePaths', 'unmatchedRouteLabel', 'maxRoutes'];
const DEFAULT_METRICS_KEYS = ['prefix', 'gcDurationBuckets', 'eventLoopMonitoringPrecision', 'promClientNames'];

/**
 * Applies every default and validates every value, in one place. Throws an
 * `ObservabilityConfigError` that names the option at fault.
 */
export function resolveObservabilityOptions(
  options: ObservabilityModuleOptions | undefined | null,
): ResolvedObservabilityOptions {
  const raw = options ?? {};
  if (!isPlainObject(raw)) {
    throw ObservabilityConfigError.invalidOption('options', 'an object', raw);
  }
  checkKeys('options', raw, ['metrics', 'tracing', 'health', 'management', 'httpClient', 'websockets', 'graphql', 'messaging', 'bullmq', 'schedule', 'events', 'pushgateway', 'isGlobal']);
  const metrics = resolveMetrics(raw.metrics);
  const health = resolveHealth(raw.health);
  checkEndpointCollisions(metrics, health);
  const management = resolveManagement(raw.management);
  if (management.enabled && !(metrics.enabled && metrics.endpoint) && !health.enabled) {
    throw new ObservabilityConfigError('Option "management" serves /metrics and the health probes, but there is neither ("metrics" or "metrics.path" is false, and "health" is false).');
  }
  return {
    metrics,
    tracing: resolveTracing(raw.tracing, metrics.path),
    health,
    management,
    schedule: resolveBackgroundOptions('schedule', raw.schedule, metrics.timedBuckets),
    events: resolveBackgroundOptions('events', raw.events, metrics.timedBuckets),
    pushgateway: resolvePushgatewayOptions(raw.pushgateway, metrics.enabled),
    httpClient: resolveHttpClientOptions(raw.httpClient),
    websockets: resolveWebSocketOptions(raw.websockets),
    graphql: resolveGraphQLOptions(raw.graphql),
    messaging: resolveMessagingOptions(raw.messaging),
    bullmq: resolveBullMqOptions(raw.bullmq),
  };
}

function resolveManagement(input: ManagementOptions | false | undefined): ResolvedManagementOptions {
  if (input === undefined || input === false) return { enabled: false, port: 0, host: undefined };
  if (!isPlainObject(input)) throw ObservabilityConfigError.invalidOption('management', 'an object like { port: 9464 }, or false', input);
  checkKeys('management', input, ['port', 'host']);
  if (!Number.isInteger(input.port) || input.port < 0 || input.port > 65535) {
    throw ObservabilityConfigError.invalidOption('management.port', 'a whole number from 0 to 65535 (0 picks a free port)', input.port);
  }
  if (input.host !== undefined && (typeof input.host !== 'string' || input.host === '')) {
    throw ObservabilityConfigError.invalidOption('management.host', 'a non-empty host name or IP address', input.host);
  }
  return { enabled: true, port: input.port, host: input.host };
}

// The messages never echo a credential: boot errors end up in logs.
function resolveMetricsAuth(input: MetricsAuthOptions | undefined): ResolvedMetricsAuth | null {
  if (input === undefined) return null;
  const expected = 'an object { bearerToken } or { username, password }';
  if (!isPlainObject(input)) throw new ObservabilityConfigError(`Invalid option "metrics.auth": expected ${expected}.`);
  const a = input as Record<string, unknown>;
  if ('bearerToken' in a) {
    checkKeys('metrics.auth', a, ['bearerToken']);
    // Visible ASCII, no spaces: what an Authorization header can carry unchanged.
    if (typeof a.bearerToken !== 'string' || !/^[\x21-\x7e]+$/.test(a.bearerToken)) {
      throw new ObservabilityConfigError('Invalid option "metrics.auth.bearerToken": expected a non-empty string of visible ASCII characters without spaces.');
    }
    return { scheme: 'bearer', bearerToken: a.bearerToken };
  }
  if ('username' in a || 'password' in a) {
    checkKeys('metrics.auth', a, ['username', 'password']);
    if (typeof a.username !== 'string' || a.username === '' || a.username.includes(':')) {
      throw new ObservabilityConfigError('Invalid option "metrics.auth.username": expected a non-empty string without ":" (HTTP Basic authentication).');
    }
    if (typeof a.password !== 'string' || a.password === '') {
      throw new ObservabilityConfigError('Invalid option "metrics.auth.password": expected a non-empty string.');
    }
    return { scheme: 'basic', username: a.username, password: a.password };
  }
  throw new ObservabilityConfigError(`Invalid option "metrics.auth": expected ${expected}.`);
}

/**
 * Refuses two of the module's endpoints on one path (compared as Express routes them: case and
 * trailing slash ignored), e.g. `metrics.path: '/health/ready'` would answer every readiness probe with metrics.
 */
function checkEndpointCollisions(metrics: ResolvedMetricsOptions, health: ResolvedHealthOptions): void {
  const seen = new Map<string, string>();
  for (const { option, path } of observabilityEndpointPaths({ metrics, health })) {
    const key = path.toLowerCase();
    const other = seen.get(key);
    if (other !== undefined) {
      throw new ObservabilityConfigError(
        `Options "${other}" and "${option}" both put an endpoint on ${path}: one would answer for the other (a probe could serve metrics, or another probe's result). Give each its own path.`,
      );
    }
    seen.set(key, option);
  }
}

/**
 * Validates a millisecond option: a finite number from `min` to 2^31−1 (Node's timer limit).
 * Every `...Ms` option of the module goes through it.
 */
export function checkMilliseconds(option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > MAX_TIMER_MS) {
    throw ObservabilityConfigError.invalidOption(option, `a number of milliseconds from ${min} to ${MAX_TIMER_MS} (2^31−1, Node's timer limit)`, value);
  }
  return value;
}

/**
 * Validates and normalises an endpoint path: starts with "/", duplicate and trailing slashes
 * dropped, literal segments only (a route parameter like `/:id` or a wildcard would let the
 * endpoint answer for other paths).
 */
function resolveEndpointPath(option: string, value: unknown, example: string, allowRoot: boolean): string {
  const expected = `a string that starts with "/", like "${example}", made of literal segments (letters, digits, ".", "_", "~", "-"; no route parameters, wildcards or "." and ".." segments)${allowRoot ? '' : ', not "/" alone'}`;
  if (typeof value !== 'string' || !value.startsWith('/')) throw ObservabilityConfigError.invalidOption(option, expected, value);
  const segments = value.split('/').filter((segment) => segment !== '');
  if (segments.some((segment) => !PATH_SEGMENT.test(segment)) || (!allowRoot && segments.length === 0)) {
    throw ObservabilityConfigError.invalidOption(option, expected, value);
  }
  return `/${segments.join('/')}`;
}

const HEALTH_KEYS = ['path', 'probePaths', 'indicators', 'timeoutMs', 'deadlineMs', 'cacheTtlMs', 'details', 'liveness', 'drainDelayMs', 'shutdownTimeoutMs', 'maxAbandonedChecks', 'maxBodyBytes', 'drainSignals'];
const PROBES: HealthProbe[] = ['liveness', 'readiness', 'startup'];

function resolveHealth(input: HealthOptions | false | undefined): ResolvedHealthOptions {
  const h = input === false ? {} : (input ?? {});
  if (!isPlainObject(h)) throw ObservabilityConfigError.invalidOption('health', 'an object or false', h);
  checkKeys('health', h, HEALTH_KEYS);
  const path = resolveEndpointPath('health.path', h.path ?? '/health', '/health', true);
  if (h.probePaths !== undefined && !isPlainObject(h.probePaths)) {
    throw ObservabilityConfigError.invalidOption('health.probePaths', 'an object of probe to path, like { readiness: "ready" }', h.probePaths);
  }
  const probePaths: Record<string, string> = { liveness: 'live', readiness: 'ready', startup: 'startup', ...(h.probePaths ?? {}) };
  for (const [probe, value] of Object.entries(probePaths)) {
    if (!PROBES.includes(probe as HealthProbe)) throw new ObservabilityConfigError(`Unknown probe "health.probePaths.${probe}". Known probes: ${PROBES.join(', ')}.`);
    const segments = typeof value === 'string' ? value.split('/').filter((segment) => segment !== '') : [];
    if (segments.length === 0 || segments.some((segment) => !PATH_SEGMENT.test(segment))) {
      throw ObservabilityConfigError.invalidOption(`health.probePaths.${probe}`, 'a literal path below health.path, like "ready" (letters, digits, ".", "_", "~", "-"; no route parameters or wildcards)', value);
    }
    probePaths[probe] = segments.join('/');
  }
  const indicators = h.indicators ?? [];
  if (!Array.isArray(indicators)) throw ObservabilityConfigError.invalidOption('health.indicators', 'an array of indicator classes or definitions', indicators);
  indicators.forEach((indicator, i) => checkIndicatorDefinition(indicator, `health.indicators[${i}]`));
  const ms = (key: 'timeoutMs' | 'deadlineMs' | 'cacheTtlMs' | 'drainDelayMs' | 'shutdownTimeoutMs', fallback: number, min: number) =>
    checkMilliseconds(`health.${key}`, h[key] ?? fallback, min);
  const details = h.details ?? 'always';
  if (details !== 'always' && details !== 'never') throw ObservabilityConfigError.invalidOption('health.details', '"always" or "never"', details);
  const liveness = h.liveness ?? {};
  if (!isPlainObject(liveness)) throw ObservabilityConfigError.invalidOption('health.liveness', 'an object', liveness);
  checkKeys('health.liveness', liveness, ['maxEventLoopDelayMs', 'eventLoopWindowMs', 'maxHeapUsedBytes']);
  if (liveness.maxEventLoopDelayMs !== undefined) checkMilliseconds('health.liveness.maxEventLoopDelayMs', liveness.maxEventLoopDelayMs, 1);
  const heap = liveness.maxHeapUsedBytes;
  if (heap !== undefined && (typeof heap !== 'number' || !(heap > 0) || !Number.isFinite(heap))) {
    throw ObservabilityConfigError.invalidOption('health.liveness.maxHeapUsedBytes', 'a positive number', heap);
  }
  const maxAbandonedChecks = h.maxAbandonedChecks ?? 2;
  if (!Number.isInteger(maxAbandonedChecks) || maxAbandonedChecks < 1 || maxAbandonedChecks > 3) {
    throw ObservabilityConfigError.invalidOption('health.maxAbandonedChecks', 'a whole number from 1 to 3', maxAbandonedChecks);
  }
  const maxBodyBytes = h.maxBodyBytes ?? 64 * 1024;
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024) {
    throw ObservabilityConfigError.invalidOption('health.maxBodyBytes', 'a whole number of bytes, at least 1024', maxBodyBytes);
  }
  // pm2 sends SIGINT (its kill_signal) on reload, restart and stop.
  const drainSignals = h.drainSignals ?? (process.env.pm_id !== undefined ? ['SIGTERM', 'SIGINT'] : ['SIGTERM']);
  if (!Array.isArray(drainSignals) || drainSignals.length === 0 || drainSignals.some((signal) => signal !== 'SIGTERM' && signal !== 'SIGINT')) {
    throw ObservabilityConfigError.invalidOption('health.drainSignals', 'a non-empty array of "SIGTERM", "SIGINT"', drainSignals);
  }
  return {
    enabled: input !== false,
    path,
    probePaths: probePaths as Record<HealthProbe, string>,
    indicators: [...indicators],
    timeoutMs: ms('timeoutMs', 3000, 1),
    deadlineMs: ms('deadlineMs', 5000, 1),
    cacheTtlMs: ms('cacheTtlMs', 0, 0),
    details,
    liveness: {
      maxEventLoopDelayMs: liveness.maxEventLoopDelayMs ?? null,
      eventLoopWindowMs: checkMilliseconds('health.liveness.eventLoopWindowMs', liveness.eventLoopWindowMs ?? 10_000, 100),
      maxHeapUsedBytes: liveness.maxHeapUsedBytes ?? null,
    },
    drainDelayMs: ms('drainDelayMs', 5000, 0),
    shutdownTimeoutMs: ms('shutdownTimeoutMs', 10_000, 0),
    maxAbandonedChecks,
    maxBodyBytes,
    drainSignals: [...new Set(drainSignals)],
  };
}

export function checkIndicatorDefinition(indicator: unknown, where: string): void {
  if (typeof indicator === 'function') return;
  if (!isPlainObject(indicator) || typeof indicator.name !== 'string' || indicator.name === '' || typeof indicator.check !== 'function') {
    throw ObservabilityConfigError.invalidOption(where, 'an indicator class, or { name, check, probes?, timeoutMs?, inject? }', indicator);
  }
  const probes = indicator.probes ?? ['readiness'];
  if (!Array.isArray(probes) || probes.length === 0 || probes.some((p: unknown) => !PROBES.includes(p as HealthProbe))) {
    throw ObservabilityConfigError.invalidOption(`${where}.probes`, `a non-empty array of ${PROBES.map((p) => `"${p}"`).join(', ')}`, probes);
  }
  if (indicator.timeoutMs !== undefined) checkMilliseconds(`${where}.timeoutMs`, indicator.timeoutMs, 1);
}

const TRACING_KEYS = ['excludePaths', 'exemplars', 'routeHandlers', 'rpc', 'interceptor', 'propagateOutgoing', 'trustIncomingSampling', 'tracerName', 'tracerProvider', 'flushTimeoutMs'];

function resolveTracing(input: TracingOptions | false | undefined, metricsPath: string): ResolvedTracingOptions {
  const t = input === false ? {} : (input ?? {});
  if (!isPlainObject(t)) throw ObservabilityConfigError.invalidOption('tracing', 'an object or false', t);
  checkKeys('tracing', t, TRACING_KEYS);
  // The module's own endpoints are never traced, whatever this says (ObservabilityEndpointMatcher).
  const excludePaths = t.excludePaths ?? [];
  if (!Array.isArray(excludePaths) || excludePaths.some((p) => typeof p !== 'string' || !p.startsWith('/'))) {
    throw ObservabilityConfigError.invalidOption('tracing.excludePaths', 'an array of paths that start with "/" (a trailing "/*" matches a subtree)', excludePaths);
  }
  for (const key of ['exemplars', 'routeHandlers', 'rpc', 'interceptor', 'propagateOutgoing', 'trustIncomingSampling'] as const) {
    if (t[key] !== undefined && typeof t[key] !== 'boolean') throw ObservabilityConfigError.invalidOption(`tracing.${key}`, 'a boolean', t[key]);
  }
  const tracerName = t.tracerName ?? 'nestjs-observability';
  if (typeof tracerName !== 'string' || tracerName === '') {
    throw ObservabilityConfigError.invalidOption('tracing.tracerName', 'a non-empty string', tracerName);
  }
  const provider = t.tracerProvider ?? null;
  if (provider !== null && typeof (provider as { getTracer?: unknown }).getTracer !== 'function') {
    throw ObservabilityConfigError.invalidOption('tracing.tracerProvider', 'an OpenTelemetry TracerProvider (with getTracer())', provider);
  }
  const flushTimeoutMs = checkMilliseconds('tracing.flushTimeoutMs', t.flushTimeoutMs ?? 3000, 0);
  return {
    enabled: input !== false,
    excludePaths: [...excludePaths],
    exemplars: t.exemplars ?? true,
    routeHandlers: t.routeHandlers ?? true,
    rpc: t.rpc ?? true,
    interceptor: t.interceptor ?? false,
    propagateOutgoing: t.propagateOutgoing ?? true,
    trustIncomingSampling: t.trustIncomingSampling ?? true,
    tracerName,
    tracerProvider: provider,
    flushTimeoutMs,
  };
}

function resolveMetrics(input: MetricsOptions | false | undefined): ResolvedMetricsOptions {
  if (input === false) {
    return {
      enabled: false,
      path: '/metrics',
      endpoint: false,
      defaultMetrics: false,
      defaultLabels: {},
      http: false,
      timedBuckets: [...DEFAULT_TIMED_BUCKETS],
      decorators: [],
      openTelemetry: resolveOpenTelemetryMetrics(false),
      auth: null,
      cluster: false,
      renderDutyCycle: DEFAULT_RENDER_DUTY_CYCLE,
    };
  }
  const m = input ?? {};
  if (!isPlainObject(m)) throw ObservabilityConfigError.invalidOption('metrics', 'an object or false', m);
  checkKeys('metrics', m, METRICS_KEYS);

  // false: metrics are recorded (and pushed over OTLP when the SDK does) but not served.
  const endpoint = m.path !== false;
  const path = resolveEndpointPath('metrics.path', m.path === false || m.path === undefined ? '/metrics' : m.path, '/metrics', false);
  const defaultLabels = m.defaultLabels ?? {};
  if (!isPlainObject(defaultLabels)) {
    throw ObservabilityConfigError.invalidOption('metrics.defaultLabels', 'an object of label name to string value', defaultLabels);
  }
  for (const [name, value] of Object.entries(defaultLabels)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__') || RESERVED_LABELS.includes(name)) {
      throw ObservabilityConfigError.invalidOption(
        `metrics.defaultLabels.${name}`,
        'a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__", and not "le" or "quantile", which histograms and summaries use)',
        name,
      );
    }
    if (typeof value !== 'string') {
      throw ObservabilityConfigError.invalidOption(`metrics.defaultLabels.${name}`, 'a string value', value);
    }
  }
  const decorators = m.decorators ?? [];
  if (!Array.isArray(decorators) || decorators.some((d) => typeof d !== 'function')) {
    throw ObservabilityConfigError.invalidOption('metrics.decorators', 'an array of decorators, like [Public()]', decorators);
  }
  const renderDutyCycle = m.renderDutyCycle ?? DEFAULT_RENDER_DUTY_CYCLE;
  if (typeof renderDutyCycle !== 'number' || !(renderDutyCycle > 0 && renderDutyCycle <= 1)) {
    throw ObservabilityConfigError.invalidOption('metrics.renderDutyCycle', 'a number greater than 0 and at most 1, like 0.25', renderDutyCycle);
  }
  return {
    enabled: true,
    path,
    endpoint,
    defaultMetrics: resolveDefaultMetrics(m.defaultMetrics),
    defaultLabels: { ...defaultLabels },
    http: resolveHttp(m.http, path),
    timedBuckets: checkBuckets('metrics.timedBuckets', m.timedBuckets ?? [...DEFAULT_TIMED_BUCKETS]),
    decorators,
    openTelemetry: resolveOpenTelemetryMetrics(m.openTelemetry),
    auth: resolveMetricsAuth(m.auth),
    cluster: resolveClusterOptions(m.cluster),
    renderDutyCycle,
  };
}

function resolveOpenTelemetryMetrics(input: boolean | OpenTelemetryMetricsOptions | undefined): ResolvedOpenTelemetryMetricsOptions {
  const o = input === undefined || input === true || input === false ? {} : input;
  if (!isPlainObject(o)) throw ObservabilityConfigError.invalidOption('metrics.openTelemetry', 'a boolean or an object', o);
  checkKeys('metrics.openTelemetry', o, OPEN_TELEMETRY_KEYS);
  if (o.reader !== undefined && !isObservabilityMetricReader(o.reader)) {
    throw ObservabilityConfigError.invalidOption('metrics.openTelemetry.reader', 'an ObservabilityMetricReader', o.reader);
  }
  for (const key of ['globalProvider', 'scopeLabels', 'targetInfo'] as const) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') throw ObservabilityConfigError.invalidOption(`metrics.openTelemetry.${key}`, 'a boolean', o[key]);
  }
  return {
    enabled: input !== false,
    reader: o.reader ?? null,
    globalProvider: o.globalProvider ?? true,
    scopeLabels: o.scopeLabels ?? true,
    targetInfo: o.targetInfo ?? true,
  };
}

function resolveDefaultMetrics(input: boolean | DefaultMetricsOptions | undefined): false | Required<DefaultMetricsOptions> {
  if (input === false) return false;
  const d = input === undefined || input === true ? {} : input;
  if (!isPlainObject(d)) {
    throw ObservabilityConfigError.invalidOption('metrics.defaultMetrics', 'a boolean or an object', d);
  }
  checkKeys('metrics.defaultMetrics', d, DEFAULT_METRICS_KEYS);
  const prefix = d.prefix ?? '';
  if (typeof prefix !== 'string' || (prefix !== '' && !METRIC_NAME.test(prefix))) {
    throw ObservabilityConfigError.invalidOption('metrics.defaultMetrics.prefix', 'a metric-name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*), like "orders_"', prefix);
  }
  const precision = d.eventLoopMonitoringPrecision ?? 10;
  if (!Number.isInteger(precision) || precision < 1 || precision > MAX_TIMER_MS) {
    throw ObservabilityConfigError.invalidOption('metrics.defaultMetrics.eventLoopMonitoringPrecision', `a whole number of milliseconds from 1 to ${MAX_TIMER_MS}`, precision);
  }
  if (d.promClientNames !== undefined && typeof d.promClientNames !== 'boolean') {
    throw ObservabilityConfigError.invalidOption('metrics.defaultMetrics.promClientNames', 'a boolean', d.promClientNames);
  }
  return {
    prefix,
    promClientNames: d.promClientNames ?? false,
    eventLoopMonitoringPrecision: precision,
    gcDurationBuckets: checkBuckets('metrics.defaultMetrics.gcDurationBuckets', d.gcDurationBuckets ?? [0.001, 0.01, 0.1, 1, 2, 5]),
  };
}

function resolveHttp(input: false | HttpMetricsOptions | undefined, metricsPath: string): false | ResolvedHttpMetricsOptions {
  if (input === false) return false;
  const h = input ?? {};
  if (!isPlainObject(h)) throw ObservabilityConfigError.invalidOption('metrics.http', 'an object or false', h);
  checkKeys('metrics.http', h, HTTP_KEYS);
  // The module's own endpoints are never measured, whatever this says (ObservabilityEndpointMatcher).
  const excludePaths = h.excludePaths ?? [];
  if (!Array.isArray(excludePaths) || excludePaths.some((p) => typeof p !== 'string' || !p.startsWith('/'))) {
    throw ObservabilityConfigError.invalidOption('metrics.http.excludePaths', 'an array of paths that start with "/" (a trailing "/*" matches a subtree)', excludePaths);
  }
  const unmatched = h.unmatchedRouteLabel ?? 'UNMATCHED';
  if (typeof unmatched !== 'string' || unmatched === '') {
    throw ObservabilityConfigError.invalidOption('metrics.http.unmatchedRouteLabel', 'a non-empty string', unmatched);
  }
  const maxRoutes = h.maxRoutes ?? 1000;
  if (!Number.isInteger(maxRoutes) || maxRoutes < 1) {
    throw ObservabilityConfigError.invalidOption('metrics.http.maxRoutes', 'a whole number ≥ 1', maxRoutes);
  }
  return {
    buckets: checkBuckets('metrics.http.buckets', h.buckets ?? [...DEFAULT_HTTP_BUCKETS]),
    excludePaths: [...excludePaths],
    unmatchedRouteLabel: unmatched,
    maxRoutes,
  };
}

/** Validates histogram buckets: a non-empty, strictly increasing array of finite numbers. */
export function checkBuckets(option: string, buckets: unknown): number[] {
  const ok =
    Array.isArray(buckets) &&
    buckets.length > 0 &&
    buckets.every((b, i) => typeof b === 'number' && Number.isFinite(b) && (i === 0 || b > buckets[i - 1]));
  if (!ok) {
    throw ObservabilityConfigError.invalidOption(option, 'a non-empty array of finite numbers in increasing order, like [0.05, 0.1, 0.5, 1]', buckets);
  }
  return [...(buckets as number[])];
}

function checkKeys(path: string, value: object, allowed: string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw unknownOptionError(`${path}.${key}`, key, `"${path}"`, allowed);
  }
}

/**
 * `Unknown option "metrics.pth". Did you mean "path"? Known options of "metrics": path, ...`: the nearest
 * known key (a typo of up to a third of its letters, or another case) is suggested.
 */
export function unknownOptionError(option: string, key: string, of: string, allowed: string[]): ObservabilityConfigError {
  const near = nearestKey(key, allowed);
  return new ObservabilityConfigError(`Unknown option "${option}".${near ? ` Did you mean "${near}"?` : ''} Known options of ${of}: ${allowed.join(', ')}.`);
}

function nearestKey(key: string, allowed: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of allowed) {
    const distance = editDistance(key.toLowerCase(), name.toLowerCase());
    if (distance <= Math.max(1, Math.floor(name.length / 3)) && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

function isPlainObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
