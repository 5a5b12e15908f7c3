import type { InjectionToken, Type } from '@nestjs/common';

/** The three Kubernetes probes. */
export type HealthProbe = 'liveness' | 'readiness' | 'startup';

/**
 * A health indicator given in the options rather than as a decorated class: a name, the probes it
 * belongs to, and a check whose dependencies (e.g. Terminus' `MemoryHealthIndicator`) are injected.
 *
 * @example
 * { name: 'heap', probes: ['liveness'], inject: [MemoryHealthIndicator], check: (memory) => memory.checkHeap('heap', 512 * 1024 * 1024) }
 */
export interface HealthIndicatorDefinition {
  /** Key of the indicator in the health response and the `indicator` label. */
  name: string;
  /**
   * Probes that run it.
   * @default ['readiness']
   */
  probes?: HealthProbe[];
  /**
   * Timeout of one check, ms.
   * @default the module's `health.timeoutMs`
   */
  timeoutMs?: number;
  /**
   * Providers passed to `check`, from the module's context (Terminus' indicators are there).
   * @default []
   */
  inject?: Array<InjectionToken>;
  /** The check: return `up(details)` / `down(details)`, a boolean, nothing (up), a Terminus result, or throw; anything else is down. */
  check: (...dependencies: any[]) => unknown;
}

/**
 * Options of the health part: `/health/live`, `/health/ready`, `/health/startup`.
 *
 * @example
 * { details: 'never', drainDelayMs: 10000, liveness: { maxEventLoopDelayMs: 1000 } }
 */
export interface HealthOptions {
  /**
   * Path prefix of the probe endpoints.
   * @default '/health'
   */
  path?: string;
  /**
   * Paths of the three probes, below `path`.
   * @default { liveness: 'live', readiness: 'ready', startup: 'startup' }
   */
  probePaths?: Partial<Record<HealthProbe, string>>;
  /**
   * Indicators given here, beside the `@HealthIndicator()` classes found in any module: classes
   * (registered as providers of this module) or definitions.
   * @default []
   */
  indicators?: Array<Type<unknown> | HealthIndicatorDefinition>;
  /**
   * Default timeout of one indicator, ms. A check that takes longer reports down, "timed out after N ms".
   * @default 3000
   */
  timeoutMs?: number;
  /**
   * Deadline of a whole probe, ms: indicators still running then report down.
   * @default 5000
   */
  deadlineMs?: number;
  /**
   * How long a probe's result is reused, ms. 0 disables the cache; concurrent probes always share
   * the run already in flight.
   * @default 0
   */
  cacheTtlMs?: number;
  /**
   * `always` shows each indicator's details; `never` answers `{ "status": "ok" | "error" }` only, for public exposure.
   * Either way, credentials are redacted from details and from the log: the password of a URL
   * (`postgres://app:***@db/x`), `password=`/`token=` pairs, Bearer/Basic credentials, and the values of
   * secret-looking keys (`password`, `apiKey`, `token`, `authorization`, …).
   * @default 'always'
   */
  details?: 'always' | 'never';
  /**
   * Optional liveness thresholds; liveness checks nothing external. `maxEventLoopDelayMs` fails
   * liveness while the longest event-loop delay of the last `eventLoopWindowMs` (default 10000, the
   * kubelet's default probe period) is above it: every caller in that time sees the same stall (it stays
   * visible for one to two windows).
   * @default {}
   */
  liveness?: { maxEventLoopDelayMs?: number; eventLoopWindowMs?: number; maxHeapUsedBytes?: number };
  /**
   * On the signal (see `drainSignals`), how long readiness answers 503 while the app keeps serving,
   * ms. During the drain every response says `Connection: close`, so keep-alive clients reconnect elsewhere.
   * Match it in Kubernetes: `terminationGracePeriodSeconds` > drain + `shutdownTimeoutMs` + `tracing.flushTimeoutMs`;
   * under pm2, `kill_timeout` likewise (pm2's default, 1600 ms, is shorter than the default drain).
   * @default 5000
   */
  drainDelayMs?: number;
  /**
   * After the drain, how long the connections still open may take to end, ms: a request in flight
   * finishes and its connection closes after the answer; an idle keep-alive connection is answered
   * `Connection: close` if its client sends again. Those still open at this bound are closed (and
   * logged), so the process stops within drain + this bound + the flush, whatever the clients do.
   * Nest's shutdown (every module's `onModuleDestroy`) starts after this. Set it above your longest request.
   * @default 10000
   */
  shutdownTimeoutMs?: number;
  /**
   * The signals that start the drain. Kubernetes sends SIGTERM; pm2's `reload`, `restart` and `stop`
   * send SIGINT (its `kill_signal`), so under pm2 (`pm_id` in the environment) SIGINT drains too.
   * @default ['SIGTERM'], plus 'SIGINT' under pm2
   */
  drainSignals?: Array<'SIGTERM' | 'SIGINT'>;
  /**
   * How many checks of one indicator may still be running after their timeout (they ignore their
   * AbortSignal, as a driver without a query timeout does). While fewer are, each probe starts a new
   * check, so the indicator recovers as soon as its dependency does; once the bound is full, probes
   * report it down ("previous check still running") without starting another, so hung calls cannot
   * pile up. A late check that finally settles frees its place. From 1 to 3.
   * @default 2
   */
  maxAbandonedChecks?: number;
  /**
   * Largest probe body, in bytes (UTF-8 JSON). A bigger one keeps each indicator's status and its
   * `message` (shortened), drops the other details, and says so once in the log; the status code is unchanged.
   * @default 65536
   */
  maxBodyBytes?: number;
}

/** Health options after defaults were applied. */
export interface ResolvedHealthOptions {
  enabled: boolean;
  path: string;
  probePaths: Record<HealthProbe, string>;
  indicators: Array<Type<unknown> | HealthIndicatorDefinition>;
  timeoutMs: number;
  deadlineMs: number;
  cacheTtlMs: number;
  details: 'always' | 'never';
  liveness: { maxEventLoopDelayMs: number | null; eventLoopWindowMs: number; maxHeapUsedBytes: number | null };
  drainDelayMs: number;
  shutdownTimeoutMs: number;
  drainSignals: Array<'SIGTERM' | 'SIGINT'>;
  maxAbandonedChecks: number;
  maxBodyBytes: number;
}
