import { Context, propagation } from '@opentelemetry/api';

/** `messaging.system` of BullMQ jobs. */
export const BULLMQ_SYSTEM = 'bullmq';

/**
 * Where a job carries the trace context: BullMQ's own `opts.telemetry.metadata` (a string, stored by
 * BullMQ as the job's `tm` field and read back as `job.opts.telemetry.metadata`), holding the W3C
 * carrier as JSON, `{"traceparent":"00-…"}`, the format BullMQ's own telemetry uses. Never in `data`.
 */
export const BULLMQ_TRACE_FIELD = 'opts.telemetry.metadata';

/** Job options with the active context written in, unless the caller set `telemetry.metadata` already. */
export function withTraceContext(active: Context, opts: any): any {
  if (opts?.telemetry?.metadata !== undefined) return opts;
  const carrier: Record<string, string> = {};
  propagation.inject(active, carrier);
  if (Object.keys(carrier).length === 0) return opts;
  return { ...opts, telemetry: { ...opts?.telemetry, metadata: JSON.stringify(carrier) } };
}

/** The W3C carrier of a job, or undefined (none, or not the JSON this module writes). */
export function jobCarrier(job: any): Record<string, string> | undefined {
  const metadata = job?.opts?.telemetry?.metadata;
  if (typeof metadata !== 'string') return undefined;
  try {
    const carrier = JSON.parse(metadata);
    return typeof carrier === 'object' && carrier !== null ? carrier : undefined;
  } catch {
    return undefined;
  }
}

/** `Queue` or `FlowProducer` when the instance is one of BullMQ's (by class name, no import of bullmq). */
export function bullClass(instance: object): 'Queue' | 'FlowProducer' | null {
  for (let proto = Object.getPrototypeOf(instance); proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const name = proto.constructor?.name;
    if (name === 'Queue' && typeof proto.add === 'function' && typeof proto.addBulk === 'function' && 'getJobCounts' in proto) return 'Queue';
    if (name === 'FlowProducer' && typeof proto.add === 'function') return 'FlowProducer';
  }
  return null;
}

/** Whether the instance is a BullMQ `Queue`. */
export function isBullQueue(instance: object): instance is { name: string; getJobCounts(...types: string[]): Promise<Record<string, number>> } {
  return bullClass(instance) === 'Queue';
}
