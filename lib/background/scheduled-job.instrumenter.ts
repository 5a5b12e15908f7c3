import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Attributes, Tracer } from '@opentelemetry/api';
import { Gauge } from 'prom-client';
import { OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { InstrumentationSpec, InvocationListener, MethodInstrumenter } from '../instrumentation/instrumentation-spec.interface';
import { MetricsService } from '../metrics/metrics.service';
import { SCHEDULED_KINDS, ScheduledKind, ScheduledSpecOptions } from './background-handlers.installer';
import { measuredRunListener, rootSpanListener } from './measured-run.listener';
import { PackageLoader, scheduledPeriodSeconds, scheduleDependencyLoader } from './scheduled-period';

const LABELS = ['task', 'type'];

/**
 * Turns the `@Cron()`, `@Interval()` and `@Timeout()` handlers that `BackgroundHandlersInstaller`
 * prepared into listeners: each run is a root span named `cron OrdersCleanup.purge` (`interval …`,
 * `timeout …`), is timed in `scheduled_job_duration_seconds{task, type, result}`, and a success sets
 * `scheduled_job_last_success_timestamp_seconds`. `scheduled_job_period_seconds` says how long the schedule
 * may leave between two runs, so that an alert can tell a job that stopped (deploy/alerts.yml).
 */
@Injectable()
export class ScheduledJobInstrumenter implements MethodInstrumenter {
  readonly kinds = SCHEDULED_KINDS;
  // Outermost: the job's root span is around a @Traced or @Timed of the same method.
  readonly order = 300;
  private readonly logger = new Logger('ObservabilityModule');
  private loader: PackageLoader | undefined;
  private cronUnavailable = false;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(OBSERVABILITY_TRACER) private readonly tracer: Tracer,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions,
  ) {}

  createListener(spec: InstrumentationSpec): InvocationListener<any> {
    const kind = spec.kind as ScheduledKind;
    const options = spec.options as ScheduledSpecOptions;
    const task = `${spec.className}.${spec.methodName}`;
    const attributes: Attributes = { 'nest.class': spec.className, 'nest.method': spec.methodName, 'job.type': kind };
    if (options.name) attributes['job.name'] = options.name;
    if (typeof options.cronTime === 'string') attributes['job.cron'] = options.cronTime;
    if (options.delayMs !== undefined) attributes['job.delay_ms'] = options.delayMs;
    const { metrics, tracing } = this.options;
    const spans = tracing.enabled ? rootSpanListener(this.tracer, `${kind} ${task}`, attributes) : null;
    if (!metrics.enabled) return measuredRunListener(spans, null);
    const labels = { task, type: kind };
    const where = `the ${kind} job ${task}`;
    const histogram = this.metrics.leanHistogram(
      'scheduled_job_duration_seconds',
      'Duration of the runs of @Cron, @Interval and @Timeout handlers, in seconds, by result.',
      [...LABELS, 'result'],
      this.options.schedule.buckets,
      where,
    );
    const lastSuccess: Gauge = this.metrics.gauge({
      name: 'scheduled_job_last_success_timestamp_seconds',
      help: 'When the last successful run of a scheduled job ended, in seconds since the epoch.',
      labelNames: LABELS,
    });
    const period = this.periodOf(kind, options, task);
    if (period !== undefined) {
      this.metrics
        .gauge({ name: 'scheduled_job_period_seconds', help: 'The longest time the schedule leaves between two runs of a job, in seconds.', labelNames: LABELS })
        .set(labels, period);
    }
    const success = lastSuccess.labels(labels);
    return measuredRunListener(spans, {
      histogram,
      labels,
      exemplars: tracing.enabled && tracing.exemplars,
      onSuccess: () => success.set(Date.now() / 1000),
    });
  }

  private periodOf(kind: ScheduledKind, options: ScheduledSpecOptions, task: string): number | undefined {
    if (kind === 'cron' && this.cronUnavailable) return undefined;
    try {
      return scheduledPeriodSeconds(kind, options, () => (this.loader ??= scheduleDependencyLoader()));
    } catch (error) {
      this.cronUnavailable = true;
      this.logger.warn(
        `scheduled_job_period_seconds is not exported for @Cron() jobs (first: ${task}): the "cron" package of @nestjs/schedule could not read the schedule (${String(error)}). ` +
          'The runs are still traced and timed.',
      );
      return undefined;
    }
  }
}
