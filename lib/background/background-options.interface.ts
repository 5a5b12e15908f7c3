/**
 * Options of `schedule`: the `@Cron()`, `@Interval()` and `@Timeout()` handlers of `@nestjs/schedule`.
 * Each run gets a root span (`cron OrdersCleanup.purge`) and is measured in
 * `scheduled_job_duration_seconds`; a success sets `scheduled_job_last_success_timestamp_seconds`.
 *
 * @example
 * { buckets: [0.1, 1, 10, 60, 600] }
 */
export interface ScheduleObservabilityOptions {
  /**
   * Buckets (seconds) of `scheduled_job_duration_seconds`.
   * @default `metrics.timedBuckets`
   */
  buckets?: number[];
}

/**
 * Options of `events`: the `@OnEvent()` handlers of `@nestjs/event-emitter`. Each call gets a span, a
 * child of the context that emitted the event, and is measured in `event_handler_duration_seconds`.
 *
 * @example
 * { buckets: [0.001, 0.01, 0.1, 1] }
 */
export interface EventsObservabilityOptions {
  /**
   * Buckets (seconds) of `event_handler_duration_seconds`.
   * @default `metrics.timedBuckets`
   */
  buckets?: number[];
}

/** `schedule` or `events` after defaults were applied. */
export interface ResolvedBackgroundOptions {
  enabled: boolean;
  buckets: number[];
}
