import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { context, Span, SpanKind, trace, Tracer } from '@opentelemetry/api';
import { OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { recordError } from '../tracing/span-listener';
import { MessagingMetrics } from '../messaging/messaging-metrics';
import { instrumentProviders } from '../messaging/provider-instances';
import { BULLMQ_SYSTEM, bullClass, withTraceContext } from './bullmq-context';

const INSTRUMENTED = Symbol.for('nestjs-observability:bullmq-producer');

/**
 * The producer side of BullMQ: every `Queue` (`BullModule.registerQueue()`) and `FlowProducer`
 * (`registerFlowProducer()`) in the container is instrumented at module init, at the instance.
 * `Queue.add()`, `addBulk()` and `FlowProducer.add()`, `addBulk()` run in a PRODUCER span `send <queue>`
 * and write its context into each job's `opts.telemetry.metadata` (see `BULLMQ_TRACE_FIELD`); each job
 * counts in `messaging_client_sent_messages_total{messaging_system="bullmq"}`. They return the same
 * Promise they returned before.
 */
@Injectable()
export class BullMqProducerInstrumenter implements OnModuleInit {
  private readonly tracing: boolean;

  constructor(
    private readonly discovery: DiscoveryService,
    @Inject(OBSERVABILITY_TRACER) private readonly tracer: Tracer,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions,
    private readonly metrics: MessagingMetrics,
  ) {
    this.tracing = options.tracing.enabled;
  }

  onModuleInit(): void {
    instrumentProviders(
      this.discovery,
      (instance): instance is any => bullClass(instance) !== null && !(instance as any)[INSTRUMENTED],
      (instance) => {
        this.metrics.use();
        if (bullClass(instance) === 'Queue') this.wrapQueue(instance);
        else this.wrapFlowProducer(instance);
      },
    );
  }

  private wrapQueue(queue: any): void {
    Object.defineProperty(queue, INSTRUMENTED, { value: true });
    const add = queue.add;
    const addBulk = queue.addBulk;
    queue.add = (name: unknown, data: unknown, opts?: unknown) =>
      this.produce(queue.name, 1, (active) => add.call(queue, name, data, this.tracing ? withTraceContext(active, opts) : opts));
    queue.addBulk = (jobs: Array<{ opts?: unknown }>) =>
      this.produce(queue.name, Array.isArray(jobs) ? jobs.length : 0, (active) =>
        addBulk.call(queue, this.tracing && Array.isArray(jobs) ? jobs.map((job) => ({ ...job, opts: withTraceContext(active, job.opts) })) : jobs),
      );
  }

  private wrapFlowProducer(flow: any): void {
    Object.defineProperty(flow, INSTRUMENTED, { value: true });
    const add = flow.add;
    const addBulk = flow.addBulk;
    flow.add = (node: any, opts?: unknown) =>
      this.produce(node?.queueName, countNodes(node), (active) => add.call(flow, this.tracing ? tracedNode(active, node) : node, opts));
    flow.addBulk = (nodes: any[]) =>
      this.produce(nodes?.[0]?.queueName, Array.isArray(nodes) ? nodes.reduce((n, node) => n + countNodes(node), 0) : 0, (active) =>
        addBulk.call(flow, this.tracing && Array.isArray(nodes) ? nodes.map((node) => tracedNode(active, node)) : nodes),
      );
  }

  private produce<T>(queueName: unknown, jobs: number, body: (active: ReturnType<typeof context.active>) => T): T {
    const destination = typeof queueName === 'string' ? queueName : 'unknown';
    const span = this.tracing
      ? this.tracer.startSpan(`send ${destination}`, {
          kind: SpanKind.PRODUCER,
          attributes: { 'messaging.system': BULLMQ_SYSTEM, 'messaging.destination.name': destination, 'messaging.operation.type': 'send', 'messaging.operation.name': 'add' },
        })
      : undefined;
    const active = span ? trace.setSpan(context.active(), span) : context.active();
    let result: T;
    try {
      result = context.with(active, () => body(active));
    } catch (error) {
      if (span) end(span, error);
      throw error;
    }
    // Observed, not replaced: the caller gets the Promise add() returned. Jobs count once Redis took them.
    const added = (job: any): void => {
      for (let i = 0; i < jobs; i++) this.metrics.countSent(BULLMQ_SYSTEM, destination);
      if (span === undefined) return;
      if (typeof job?.id === 'string') span.setAttribute('messaging.message.id', job.id);
      end(span);
    };
    if (typeof (result as any)?.then === 'function') {
      (result as any).then(added, (error: unknown) => span && end(span, error ?? new Error('rejected')));
    } else added(result);
    return result;
  }
}

function end(span: Span, error?: unknown): void {
  if (error !== undefined) recordError(span, error);
  span.end();
}

/** A flow node (and its children) with the context in each job's options. */
function tracedNode(active: ReturnType<typeof context.active>, node: any): any {
  if (typeof node !== 'object' || node === null) return node;
  return { ...node, opts: withTraceContext(active, node.opts), ...(Array.isArray(node.children) ? { children: node.children.map((c: any) => tracedNode(active, c)) } : {}) };
}

function countNodes(node: any): number {
  if (typeof node !== 'object' || node === null) return 0;
  return 1 + (Array.isArray(node.children) ? node.children.reduce((n: number, c: any) => n + countNodes(c), 0) : 0);
}
