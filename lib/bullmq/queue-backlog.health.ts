import { down, HealthCheckOutcome, ObservabilityHealthIndicator, up } from '../health/health-indicator.interface';

/** What `QueueBacklogHealth` needs of a BullMQ `Queue` (its own `getJobCounts()`). */
export interface JobCountsSource {
  readonly name?: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

/** Thresholds of `QueueBacklogHealth`. */
export interface QueueBacklogOptions {
  /**
   * Down when more jobs than this are waiting (`waiting` + `prioritized`: jobs ready to run that no
   * worker took yet; delayed jobs are not late yet and do not count).
   *
   * @example 1000
   */
  maxWaiting: number;
}

/**
 * A base for a queue-backlog indicator: `down` when more than `maxWaiting` jobs wait, with the counts
 * of waiting, prioritized, active, delayed and failed jobs in the details. Extend it in a class with
 * `@HealthIndicator()`, like any indicator (put it in a probe where a backlog should take the pod out of
 * the Service, usually not `liveness`).
 *
 * @example
 * @HealthIndicator('emails-backlog', { timeoutMs: 1000 })
 * export class EmailsBacklogHealth extends QueueBacklogHealth {
 *   constructor(@InjectQueue('emails') queue: Queue) {
 *     super(queue, { maxWaiting: 1000 });
 *   }
 * }
 */
export abstract class QueueBacklogHealth implements ObservabilityHealthIndicator {
  protected constructor(
    private readonly queue: JobCountsSource,
    private readonly options: QueueBacklogOptions,
  ) {}

  async check(signal: AbortSignal): Promise<HealthCheckOutcome> {
    const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed');
    signal.throwIfAborted();
    const waiting = (counts.waiting ?? 0) + (counts.prioritized ?? 0);
    const details = { queue: this.queue.name, waiting, active: counts.active ?? 0, delayed: counts.delayed ?? 0, failed: counts.failed ?? 0, maxWaiting: this.options.maxWaiting };
    return waiting > this.options.maxWaiting ? down({ ...details, reason: `${waiting} jobs waiting, more than ${this.options.maxWaiting}` }) : up(details);
  }
}
