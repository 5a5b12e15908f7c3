/**
 * What a health check returns: `up` or `down` plus details, shown in the probe's body when the
 * details policy allows. Build it with `up()` / `down()`.
 *
 * @example
 * return down({ message: 'replica lag too high', lagSeconds: 42 });
 */
export interface HealthCheckOutcome {
  status: 'up' | 'down';
  details: Record<string, unknown>;
}

/**
 * A health indicator class, decorated with `@HealthIndicator()`. Up is `up()`, `true`, nothing
 * (`undefined`), or a Terminus `HealthIndicatorResult` whose status is `up`; down is `down()`, `false`, a
 * Terminus result that is down, a thrown error or a timeout; anything else (`42`, `'ok'`, `null`, an array,
 * a plain object) reports down, naming what it got. Details are always written safely (a circular
 * reference or a BigInt is replaced by "[unserializable: …]") and credentials in them are redacted.
 * The `signal` aborts when the check timed out, so it can cancel its work; a check that ignores it and
 * never settles is left pending while new checks run, up to `health.maxAbandonedChecks` such calls
 * (then "previous check still running").
 *
 * @example
 * @HealthIndicator('database', { probes: ['readiness'] })
 * export class DatabaseHealth implements ObservabilityHealthIndicator {
 *   constructor(private readonly db: DataSource) {}
 *   async check() {
 *     await this.db.query('SELECT 1');
 *     return up({ pool: this.db.driver.pool.size });
 *   }
 * }
 */
export interface ObservabilityHealthIndicator {
  check(signal: AbortSignal): unknown;
}

/**
 * An `up` outcome with optional details.
 *
 * @example
 * return up({ latencyMs: 3 });
 */
export function up(details: Record<string, unknown> = {}): HealthCheckOutcome {
  return { status: 'up', details };
}

/**
 * A `down` outcome with optional details (a string becomes `{ message }`).
 *
 * @example
 * return down('connection refused');
 */
export function down(details: Record<string, unknown> | string = {}): HealthCheckOutcome {
  return { status: 'down', details: typeof details === 'string' ? { message: details } : details };
}
