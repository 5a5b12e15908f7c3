import { HealthCheckOutcome } from './health-indicator.interface';

/** Told when a check outlives its timeout (it is then "abandoned") and when such a check finally settles. */
export interface AbandonedCheckObserver {
  abandoned(): void;
  settled(): void;
}

/**
 * Runs one check with a timeout and turns whatever it does into an outcome: a value is classified
 * (see `normalizeOutcome`), an error or a timeout becomes `down` with a message (never a stack trace).
 * The check's signal aborts at the timeout; a check that ignores it and keeps running is reported to
 * `observer`, so the caller can bound how many such checks pile up.
 */
export function runCheck(check: (signal: AbortSignal) => unknown, timeoutMs: number, observer?: AbandonedCheckObserver): Promise<HealthCheckOutcome> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  let abandoned = false;
  const timedOut = new Promise<HealthCheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`timed out after ${timeoutMs} ms`));
      if (!settled) {
        abandoned = true;
        observer?.abandoned();
      }
      resolve({ status: 'down', details: { message: `timed out after ${timeoutMs} ms` } });
    }, timeoutMs);
    // A hanging check must not keep a closing process alive.
    timer.unref();
  });
  const work = Promise.resolve()
    .then(() => check(controller.signal))
    .then(normalizeOutcome, (error: unknown) => ({ status: 'down' as const, details: { message: errorMessage(error) } }))
    .finally(() => {
      settled = true;
      if (abandoned) observer?.settled();
    });
  return Promise.race([work, timedOut]).finally(() => clearTimeout(timer));
}

/**
 * What counts as up: `up()`, `true`, nothing (`undefined`), or a Terminus `HealthIndicatorResult`
 * whose indicators are all `up` (or Terminus' `degraded`). `down()`, `false` and a Terminus result with
 * a `down` indicator are down. Anything else (`42`, `'garbage'`, `null`, an array, a plain object) is
 * down too, with a message naming what the check returned. Never throws, even on a result whose
 * `status` getter does.
 */
export function normalizeOutcome(value: unknown): HealthCheckOutcome {
  try {
    return classify(value);
  } catch (error) {
    return { status: 'down', details: { message: `the check's result could not be read: ${errorMessage(error)}` } };
  }
}

function classify(value: unknown): HealthCheckOutcome {
  if (value === undefined || value === true) return { status: 'up', details: {} };
  if (value === false) return { status: 'down', details: { message: 'the check returned false' } };
  if (isObject(value)) {
    const status = value.status;
    // up() / down(): { status, details }.
    if ((status === 'up' || status === 'down') && (value.details === undefined || isObject(value.details))) {
      return { status, details: safeDetails((value.details as Record<string, unknown> | undefined) ?? {}) };
    }
    // A Terminus result: { [key]: { status, ...details } }, usually one key.
    const entries = Object.entries(value);
    if (status === undefined && entries.length > 0 && entries.every(([, entry]) => isObject(entry) && typeof entry.status === 'string')) {
      return fromTerminus(entries as Array<[string, Record<string, unknown>]>);
    }
  }
  return {
    status: 'down',
    details: { message: `the check returned ${describe(value)}; return up(), down(), true, false, nothing, or a Terminus result` },
  };
}

function fromTerminus(entries: Array<[string, Record<string, unknown>]>): HealthCheckOutcome {
  const isUp = (status: unknown) => status === 'up' || status === 'degraded';
  const healthy = entries.every(([, entry]) => isUp(entry.status));
  if (entries.length === 1) {
    const [[, { status, ...details }]] = entries;
    const outcome: HealthCheckOutcome = { status: healthy ? 'up' : 'down', details: safeDetails(details) };
    if (!isUp(status) && status !== 'down') outcome.details.message ??= `the Terminus result has status ${describe(status)}`;
    return outcome;
  }
  return { status: healthy ? 'up' : 'down', details: Object.fromEntries(entries) };
}

/** The message of an error, without its stack. */
export function errorMessage(error: unknown): string {
  try {
    if (error instanceof Error) return error.message || error.name;
    return typeof error === 'string' ? error : 'check failed';
  } catch {
    return 'check failed';
  }
}

/** A short, safe description of a value, for messages ("the number 42", "an array of 3 items"). */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  switch (typeof value) {
    case 'string':
      return `the string "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
    case 'number':
    case 'bigint':
      return `the ${typeof value} ${String(value)}`;
    case 'function':
      return 'a function';
    case 'symbol':
      return 'a symbol';
    case 'object': {
      const keys = Object.keys(value as object);
      return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', …' : ''}`;
    }
    default:
      return String(value);
  }
}

// Terminus reserves `status` in an indicator's details (it would drop the result, terminus#2668).
function safeDetails(details: Record<string, unknown>): Record<string, unknown> {
  if (!('status' in details)) return details;
  const { status, ...rest } = details;
  return { ...rest, reportedStatus: status };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
