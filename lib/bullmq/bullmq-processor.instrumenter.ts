import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Attributes, context, Link, propagation, SpanKind, trace, Tracer } from '@opentelemetry/api';
import type { Counter, Histogram } from 'prom-client';
import { INSTRUMENTATION_METADATA, OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { createInstrumentationDecorator } from '../instrumentation/instrument-method.decorator';
import { InstrumentationSpec, InvocationListener, MethodInstrumenter } from '../instrumentation/instrumentation-spec.interface';
import { MetricsService } from '../metrics/metrics.service';
import { ownerOf } from '../tracing/handler-tracing.installer';
import { recordError, SpanState } from '../tracing/span-listener';
import { UNTRUSTED_SAMPLED_FLAG } from '../tracing/sampling/observability.sampler';
import { MessagingMetrics } from '../messaging/messaging-metrics';
import { instrumentProviders } from '../messaging/provider-instances';
import { BULLMQ_SYSTEM, jobCarrier } from './bullmq-context';

/** The instrumentation kind of a BullMQ `WorkerHost.process()`. */
export const BULLMQ_PROCESS_KIND = 'bullmqProcess';
// @nestjs/bullmq's metadata key of @Processor() (stable across its 10–12 majors).
const PROCESSOR_METADATA = 'bullmq:processor_metadata';

interface JobState {
  span: SpanState;
  queue: string;
  started: number;
}

/**
 * The consumer side of BullMQ, without a decorator: every `@Processor()` class's `process(job)` gets,
 * at provider-creation time (before `@nestjs/bullmq` binds it to its Worker), a dispatcher that runs
 * each attempt in a CONSUMER span `process <queue>`, a child of (with `bullmq.jobContext: 'link'`, linked to) the `send <queue>` span whose context
 * the job carries, so every retry of a job is in the trace of the request that enqueued it. A failed
 * attempt records its exception. Metrics: `messaging_process_duration_seconds{messaging_system="bullmq",
 * outcome}` per attempt, `messaging_bullmq_job_wait_seconds` (from the job's timestamp, plus its delay,
 * to its first processing), `messaging_bullmq_jobs_stalled_total` (the Worker's `stalled` events).
 */
@Injectable()
export class BullMqProcessorInstrumenter implements MethodInstrumenter, OnApplicationBootstrap {
  readonly kinds: readonly string[] = [BULLMQ_PROCESS_KIND];
  // Outermost, like the RPC span: a @Traced() on process() is its child.
  readonly order = 210;
  private readonly tracing: boolean;
  private readonly trustIncoming: boolean;
  private readonly link: boolean;
  private readonly processors: object[] = [];
  private readonly wait: Histogram<string> | null = null;
  private readonly stalled: Counter<string> | null = null;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(OBSERVABILITY_TRACER) private readonly tracer: Tracer,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions,
    private readonly metrics: MessagingMetrics,
    metricsService: MetricsService,
  ) {
    this.tracing = options.tracing.enabled;
    this.trustIncoming = options.tracing.trustIncomingSampling;
    this.link = options.bullmq.jobContext === 'link';
    for (const wrapper of discovery.getProviders()) {
      const metatype = wrapper.metatype as unknown as (Function & { prototype?: Record<string, unknown> }) | null;
      if (typeof metatype !== 'function' || !metatype.prototype || Reflect.getMetadata(PROCESSOR_METADATA, metatype) === undefined) continue;
      this.processors.push(metatype);
      metrics.use();
      const prototype = metatype.prototype;
      if (typeof prototype.process !== 'function') continue;
      const specs: InstrumentationSpec[] = Reflect.getMetadata(INSTRUMENTATION_METADATA, prototype.process as object) ?? [];
      if (specs.some((s) => s.kind === BULLMQ_PROCESS_KIND)) continue;
      const owner = ownerOf(prototype, 'process');
      const descriptor = Object.getOwnPropertyDescriptor(owner, 'process')!;
      createInstrumentationDecorator(BULLMQ_PROCESS_KIND, { auto: true })(owner, 'process', descriptor);
      Object.defineProperty(owner, 'process', descriptor);
    }
    // Only an app with processors has these families in /metrics.
    if (options.metrics.enabled && this.processors.length > 0) {
      this.wait = metricsService.histogram({
        name: 'messaging_bullmq_job_wait_seconds',
        help: 'Time a BullMQ job waited in its queue, from its timestamp (plus its delay) to its first processing.',
        labelNames: ['messaging_destination_name'],
        buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      });
      this.stalled = metricsService.counter({
        name: 'messaging_bullmq_jobs_stalled_total',
        help: "BullMQ jobs a Worker found stalled (its lock expired: the process was blocked or died).",
        labelNames: ['messaging_destination_name'],
      });
    }
  }

  onApplicationBootstrap(): void {
    if (this.stalled === null) return;
    const stalled = this.stalled;
    instrumentProviders(
      this.discovery,
      (instance): instance is any => this.processors.includes(instance.constructor) && typeof (instance as any)._worker?.on === 'function',
      (processor) => {
        const worker = processor._worker;
        worker.on('stalled', () => stalled.inc({ messaging_destination_name: String(worker.name) }));
      },
    );
  }

  createListener(spec: InstrumentationSpec): InvocationListener<JobState> {
    const { tracer, tracing, trustIncoming, link, metrics, wait } = this;
    const names: Attributes = { 'nest.controller': spec.className, 'nest.handler': spec.methodName };
    return {
      start(_thisArg, args) {
        const job: any = args[0];
        const queue = typeof job?.queueName === 'string' ? job.queueName : 'unknown';
        if (wait !== null && job?.attemptsMade === 0 && typeof job.timestamp === 'number') {
          const ready = job.timestamp + (typeof job.delay === 'number' ? job.delay : 0);
          wait.observe({ messaging_destination_name: queue }, Math.max(0, ((job.processedOn ?? Date.now()) - ready) / 1000));
        }
        let span: SpanState = null;
        if (tracing) {
          const active = context.active();
          const carrier = jobCarrier(job);
          let parent = active;
          let links: Link[] | undefined;
          if (carrier && trace.getSpan(active) === undefined) {
            const remote = propagation.extract(active, carrier);
            const producer = trace.getSpanContext(remote);
            // bullmq.jobContext: 'link' starts the attempt's own trace, linked to the send.
            if (link && producer !== undefined) links = [{ context: producer }];
            else parent = trustIncoming ? remote : remote.setValue(UNTRUSTED_SAMPLED_FLAG, true);
          }
          const attributes: Attributes = {
            ...names,
            'messaging.system': BULLMQ_SYSTEM,
            'messaging.destination.name': queue,
            'messaging.operation.type': 'process',
            'messaging.operation.name': 'process',
            'messaging.bullmq.job.name': String(job?.name),
            'messaging.bullmq.job.attempt': (job?.attemptsMade ?? 0) + 1,
          };
          if (job?.id !== undefined) attributes['messaging.message.id'] = String(job.id);
          const started = tracer.startSpan(`process ${queue}`, { kind: SpanKind.CONSUMER, attributes, links }, parent);
          span = { span: started, context: trace.setSpan(parent, started) };
        }
        return { span, queue, started: performance.now() };
      },
      run(state, body) {
        return state.span === null ? body() : context.with(state.span.context, body);
      },
      end(state, error, failed) {
        metrics.observeProcess(BULLMQ_SYSTEM, state.queue, (performance.now() - state.started) / 1000, failed);
        if (state.span === null) return;
        if (failed) recordError(state.span.span, error);
        state.span.span.end();
      },
      cancel(state) {
        state.span?.span.end();
      },
    };
  }
}
