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
 * A health indicator class, decorated with `@HealthIndicator()`. `check()` may return `up()`/`down()`,
 * a boolean, nothing (up), or a Terminus `HealthIndicatorResult`; a thrown error or a timeout reports down.
 * The `signal` aborts when the check timed out, so it can cancel its work.
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
