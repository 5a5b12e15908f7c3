import type { MessageContextMode } from '../messaging/messaging-options.interface';

/**
 * The scrape-time gauge of jobs per queue and state, `messaging_bullmq_queue_jobs`. Each scrape asks
 * Redis for the counts (one round trip per queue), within `timeoutMs`; past it, or when Redis fails,
 * the last values read are shown and `messaging_bullmq_queue_jobs_stale` is 1.
 *
 * @example
 * { queues: ['emails'], timeoutMs: 250 }
 */
export interface QueueMetricsOptions {
  /**
   * The queues to read, by name.
   * @default every queue the app registered (`BullModule.registerQueue()`)
   */
  queues?: string[];
  /**
   * How long a scrape waits for one queue's counts, ms.
   * @default 500
   */
  timeoutMs?: number;
}

/**
 * Options of the BullMQ part: PRODUCER spans for `Queue.add()`, `addBulk()` and `FlowProducer.add()`,
 * a CONSUMER span and metrics per attempt of every `@Processor()`, and an optional queue gauge.
 *
 * @example
 * { jobContext: 'link', queueMetrics: { queues: ['emails'] } }
 */
export interface BullMqOptions {
  /**
   * The span of a job's attempt: `child` of the `send <queue>` span (the request that enqueued it, the
   * job and its retries are one trace), or `link` (each attempt starts a trace linked to the send).
   * @default 'child'
   */
  jobContext?: MessageContextMode;
  /**
   * A gauge of waiting, prioritized, active, delayed and failed jobs per queue, read at scrape time.
   * Off by default: it costs a Redis round trip per queue and scrape.
   * @default false
   */
  queueMetrics?: boolean | QueueMetricsOptions;
}

/** `bullmq` after defaults were applied. */
export interface ResolvedBullMqOptions {
  enabled: boolean;
  jobContext: MessageContextMode;
  queueMetrics: { enabled: boolean; queues: string[] | null; timeoutMs: number };
}
