import { Logger, OnModuleInit } from '@nestjs/common';
import type { DiscoveryService } from '@nestjs/core';
import type { Gauge } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';
import { ObservabilityConfigError } from '../observability-config.error';
import { ResolvedBullMqOptions } from './bullmq-options.interface';
import { instrumentProviders } from '../messaging/provider-instances';
import { isBullQueue } from './bullmq-context';

/** The job states `messaging_bullmq_queue_jobs` reports, as BullMQ names them. */
export const QUEUE_JOB_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed'] as const;

interface QueueSource {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}

interface QueueReading {
  queue: QueueSource;
  /** The counts last read, null before the first answer. */
  last: Record<string, number> | null;
  /** The read under way: a scrape never starts a second one, so a slow Redis is never asked twice. */
  pending: Promise<void> | null;
  /** The error of the last read that finished, if it failed. */
  failure: unknown;
  stale: boolean;
  warned: boolean;
}

/**
 * `messaging_bullmq_queue_jobs{messaging_destination_name, state}`: the waiting, prioritized, active,
 * delayed and failed jobs of each queue, read from Redis at scrape time (`bullmq.queueMetrics`). A read
 * is bounded by `timeoutMs`: past it, or when Redis fails, the scrape shows the last counts read, and
 * `messaging_bullmq_queue_jobs_stale{messaging_destination_name}` is 1 (said once in the log). A slow or
 * dead Redis never makes /metrics slower than the timeout, nor makes it fail.
 */
export class QueueJobsGauge implements OnModuleInit {
  private readonly readings: QueueReading[] = [];
  private readonly logger = new Logger('ObservabilityModule');
  private current: { read: Promise<void>; consumers: Set<string> } | null = null;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly metrics: MetricsService,
    private readonly options: ResolvedBullMqOptions['queueMetrics'],
  ) {}

  onModuleInit(): void {
    const found = new Map<string, QueueSource>();
    instrumentProviders(this.discovery, (instance): instance is QueueSource => isBullQueue(instance), (queue) => {
      if (!found.has(queue.name)) found.set(queue.name, queue);
    });
    const names = this.options.queues ?? [...found.keys()];
    const missing = names.filter((name) => !found.has(name));
    if (missing.length > 0) {
      throw new ObservabilityConfigError(
        `Option "bullmq.queueMetrics.queues" names ${missing.map((n) => `"${n}"`).join(', ')}, which the app did not register (BullModule.registerQueue()). Registered: ${[...found.keys()].join(', ') || 'none'}.`,
      );
    }
    if (names.length === 0) return;
    for (const name of names) this.readings.push({ queue: found.get(name)!, last: null, pending: null, failure: undefined, stale: false, warned: false });
    const readings = this.readings;
    const refresh = (gauge: string): Promise<void> => this.scrape(gauge);
    this.metrics.gauge({
      name: 'messaging_bullmq_queue_jobs',
      help: 'BullMQ jobs per queue and state, read from Redis at scrape time (the last counts read when messaging_bullmq_queue_jobs_stale is 1).',
      labelNames: ['messaging_destination_name', 'state'],
      // Every worker of a cluster reads the same Redis: the largest is the count, not the sum.
      aggregator: 'max',
      async collect(this: Gauge<string>) {
        await refresh('jobs');
        this.reset();
        for (const r of readings) {
          if (r.last === null) continue;
          for (const state of QUEUE_JOB_STATES) this.set({ messaging_destination_name: r.queue.name, state }, r.last[state] ?? 0);
        }
      },
    });
    this.metrics.gauge({
      name: 'messaging_bullmq_queue_jobs_stale',
      help: '1 when the last read of a queue\'s job counts failed or took longer than bullmq.queueMetrics.timeoutMs: messaging_bullmq_queue_jobs shows older counts.',
      labelNames: ['messaging_destination_name'],
      aggregator: 'max',
      async collect(this: Gauge<string>) {
        await refresh('stale');
        for (const r of readings) this.set({ messaging_destination_name: r.queue.name }, r.stale ? 1 : 0);
      },
    });
  }

  /**
   * The read of the scrape under way: the two gauges of one scrape share it, whatever order they are
   * collected in; a gauge asking again starts the next scrape's read.
   */
  private scrape(gauge: string): Promise<void> {
    if (this.current === null || this.current.consumers.has(gauge)) this.current = { read: this.refresh(), consumers: new Set() };
    this.current.consumers.add(gauge);
    return this.current.read;
  }

  /** Reads every queue once, each within the timeout. */
  private async refresh(): Promise<void> {
    await Promise.all(this.readings.map((r) => this.read(r)));
  }

  private async read(r: QueueReading): Promise<void> {
    // Never rejects: a read that fails after the scrape stopped waiting must not be an unhandled rejection.
    const pending = (r.pending ??= Promise.resolve()
      .then(() => r.queue.getJobCounts(...QUEUE_JOB_STATES))
      .then(
        (counts) => {
          r.last = counts;
          r.failure = undefined;
        },
        (error: unknown) => {
          r.failure = error ?? new Error('failed');
        },
      )
      .finally(() => {
        r.pending = null;
      }));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(resolve, this.options.timeoutMs, false);
      timer.unref();
    });
    const finished = await Promise.race([pending.then(() => true), timedOut]);
    clearTimeout(timer);
    const answered = finished && r.failure === undefined;
    const failure = finished ? r.failure : undefined;
    r.stale = !answered;
    if (r.stale && !r.warned) {
      r.warned = true;
      const why = failure !== undefined ? `failed (${failure instanceof Error ? failure.message : String(failure)})` : `took longer than ${this.options.timeoutMs} ms`;
      this.logger.warn(
        `Reading the job counts of BullMQ queue "${r.queue.name}" ${why}: /metrics shows the last counts read, with messaging_bullmq_queue_jobs_stale 1, until Redis answers in time (said once).`,
      );
    }
  }
}
