import { Counter, Gauge } from 'prom-client';
import { ExemplarValue } from './lean-histogram.metric';

/** What a prom-client Counter or Gauge keeps per label set (prom-client 15). */
export interface SampleMapEntry {
  labels?: Record<string, string | number>;
  value: number;
  exemplar?: ExemplarValue | null;
}

/** The parts of a prom-client Counter or Gauge that the renderer reads. */
export interface PromClientSampleMetric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly hashMap: Record<string, SampleMapEntry>;
  collect?: () => unknown;
}

/**
 * The metric, when it is a plain prom-client Counter or Gauge from the copy of prom-client this
 * module uses, whose samples are its `hashMap`'s entries; null for anything else (a subclass that
 * overrides `get()` or adds `getForPromString()`, another copy of prom-client, a metric of the
 * module's own), which is then rendered through its own `get()`.
 *
 * Why: prom-client's `get()` returns `Object.values(hashMap)` in one call, which holds the event
 * loop for ~15 ms at 20,000 series; the renderer walks the entries in slices instead.
 */
export function asPromClientSampleMetric(metric: unknown): PromClientSampleMetric | null {
  const candidate = metric as Partial<PromClientSampleMetric> & { get?: unknown; getForPromString?: unknown };
  const own =
    (metric instanceof Counter && candidate.get === Counter.prototype.get && candidate.type === 'counter') ||
    (metric instanceof Gauge && candidate.get === Gauge.prototype.get && candidate.type === 'gauge');
  return own &&
    candidate.getForPromString === undefined &&
    typeof candidate.name === 'string' &&
    candidate.hashMap !== null &&
    typeof candidate.hashMap === 'object'
    ? (candidate as PromClientSampleMetric)
    : null;
}

/**
 * Runs the metric's `collect()` as prom-client's `get()` does (awaited when it returns a Promise),
 * and returns it. The entries are read afterwards, at render time.
 */
export async function collectFirst<M extends { collect?: () => unknown }>(metric: M): Promise<M> {
  if (typeof metric.collect === 'function') {
    const pending = metric.collect();
    if (pending instanceof Promise) await pending;
  }
  return metric;
}
