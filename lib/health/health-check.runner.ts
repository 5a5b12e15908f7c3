import { HealthCheckOutcome } from './health-indicator.interface';

/**
 * Runs one check with a timeout and turns whatever it does into an outcome: a value is normalised,
 * an error or a timeout becomes `down` with a message (never a stack trace). The check's signal
 * aborts at the timeout.
 */
export function runCheck(check: (signal: AbortSignal) => unknown, timeoutMs: number): Promise<HealthCheckOutcome> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<HealthCheckOutcome>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`timed out after ${timeoutMs} ms`));
      resolve({ status: 'down', details: { message: `timed out after ${timeoutMs} ms` } });
    }, timeoutMs);
    // A hanging check must not keep a closing process alive.
    timer.unref();
  });
  const work = Promise.resolve()
    .then(() => check(controller.signal))
    .then(normalizeOutcome, (error: unknown) => ({ status: 'down' as const, details: { message: errorMessage(error) } }));
  return Promise.race([work, timedOut]).finally(() => clearTimeout(timer));
}

/** Accepts `up()`/`down()`, booleans, nothing, a Terminus `HealthIndicatorResult`, or plain details. */
export function normalizeOutcome(value: unknown): HealthCheckOutcome {
  if (value === undefined || value === null || value === true) return { status: 'up', details: {} };
  if (value === false) return { status: 'down', details: {} };
  if (typeof value !== 'object') return { status: 'up', details: { value } };
  const record = value as Record<string, unknown>;
  if ((record.status === 'up' || record.status === 'down') && isObject(record.details)) {
    return { status: record.status, details: safeDetails(record.details) };
  }
  // A Terminus result: { [key]: { status, ...details } }.
  const entries = Object.values(record);
  if (entries.length === 1 && isObject(entries[0]) && typeof entries[0].status === 'string') {
    const { status, ...details } = entries[0];
    return { status: status === 'up' || status === 'degraded' ? 'up' : 'down', details: safeDetails(details) };
  }
  return { status: 'up', details: safeDetails(record) };
}

/** The message of an error, without its stack. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : 'check failed';
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
