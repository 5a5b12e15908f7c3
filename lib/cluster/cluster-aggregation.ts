import { AggregatorRegistry, Registry } from 'prom-client';
import type { ClusterSumFloor } from './cluster-sum-floor';
import { SnapshotCompactor } from './cluster-snapshot-compactor';
import { addExact, ExactAccumulator, partialsOf, roundExact } from './exact-sum';

/** The label that tells workers apart in the metrics kept per worker. */
export const WORKER_LABEL = 'worker';

/**
 * One metric of a worker's snapshot, compacted for the wire and the file: each sample is a key (the
 * sample's name and its labels, sorted) and a value. Label objects repeated on every bucket of every
 * histogram made `getMetricsAsJSON()` output several times larger and slower to parse and merge.
 */
export interface CompactMetric {
  name: string;
  help: string;
  type: string;
  aggregator: string;
  /** Sample keys: `metricName`, then label name and value pairs, joined with NUL. */
  k: string[];
  /** Sample values, in the order of `k`. */
  v: number[];
  /** Folded files only: the exact partials of the sums at these indexes of `v` (see `foldSnapshots`). */
  p?: Record<number, number[]>;
}

const SEP = '\u0000';

/** A Registry's snapshot, compacted (see `SnapshotCompactor`, which a worker keeps to cache the keys). */
export function snapshotRegistry(registry: Registry, defaultLabels: Readonly<Record<string, string>>): Promise<CompactMetric[]> {
  return new SnapshotCompactor(defaultLabels).snapshot(registry);
}

/** Compacts metrics in prom-client's JSON shape (`labels`, and `sharedLabels` as `getForPromString()` gives them). */
export function compactMetrics(metrics: any[], defaultLabels: Readonly<Record<string, string>> = {}): CompactMetric[] {
  return new SnapshotCompactor(defaultLabels).compact(metrics);
}

/** The other way: `getMetricsAsJSON()` shape, for prom-client's aggregators and the renderer. */
function expand(metric: CompactMetric, extraKey = ''): any {
  return { name: metric.name, help: metric.help, type: metric.type, aggregator: metric.aggregator, values: metric.v.map((value, i) => sample(metric.k[i] + extraKey, value)) };
}

/** A sample key's name and labels: built once per key while it is in `SampleKeys` (the renderer only reads them). */
interface ParsedKey {
  metricName: string;
  labels: Record<string, string>;
}

/**
 * The parsed sample keys of the last scrapes, so that a merge does not split every key again: a worker keeps
 * one. Bounded: it starts over when it holds more than `max` keys (series come and go).
 */
export class SampleKeys {
  private readonly parsed = new Map<string, ParsedKey>();
  constructor(private readonly max = 200_000) {}

  get(key: string): ParsedKey {
    let entry = this.parsed.get(key);
    if (entry === undefined) {
      if (this.parsed.size >= this.max) this.parsed.clear();
      entry = parseKey(key);
      this.parsed.set(key, entry);
    }
    return entry;
  }
}

function parseKey(key: string): ParsedKey {
  const parts = key.split(SEP);
  const labels: Record<string, string> = {};
  for (let i = 1; i + 1 < parts.length; i += 2) labels[parts[i]] = parts[i + 1];
  return { metricName: parts[0], labels };
}

function sample(key: string, value: number, keys?: SampleKeys): { value: number; labels: Record<string, string>; metricName?: string } {
  const { metricName, labels } = keys ? keys.get(key) : parseKey(key);
  return metricName ? { value, labels, metricName } : { value, labels };
}

interface Merged {
  metric: CompactMetric;
  sums: Map<string, ExactAccumulator> | null;
  others: any[] | null;
}

/** Counters and histograms: the kinds whose sum must never go down (and whose dead workers' counts are kept). */
export function isMonotonic(metric: { type: string }): boolean {
  return metric.type === 'counter' || metric.type === 'histogram';
}

/**
 * Merges workers' snapshots into one Registry:
 * - counters and histograms are summed over live and dead workers (a dead worker's counts are kept,
 *   so the sum never goes backwards);
 * - gauges follow their own `aggregator` (prom-client's default is `sum`, so `http_server_active_requests`
 *   is the cluster's in-flight total; a Gauge declared with `aggregator: 'max'` gives the max), over
 *   live workers only;
 * - the metrics in `perWorker` (process and runtime metrics, by default) and summaries, whose quantiles
 *   cannot be summed, get a `worker` label with the worker's pid: one series per live worker, so that
 *   one worker's leak or lag stays visible.
 * Sums are exact (`addExact`): the same workers' values give the same result whatever the order in which
 * peers answered and whether a dead worker is read from its own file or from a folded one. `floor`, when
 * given, is the last guard that a summed counter or histogram series never shows less than before.
 * Every aggregator other than `sum` runs through prom-client's `AggregatorRegistry.aggregate()`.
 */
export function aggregateSnapshots(
  live: Array<{ pid: number; metrics: CompactMetric[] }>,
  dead: Array<{ metrics: CompactMetric[] }>,
  perWorker: ReadonlySet<string>,
  floor?: ClusterSumFloor,
  keys?: SampleKeys,
): Registry {
  const merged = mergeSnapshots(live, dead, perWorker);
  const registry = new Registry();
  const others: any[][] = [];
  for (const { metric, sums, others: rest } of merged.values()) {
    if (rest) {
      others.push(rest);
      continue;
    }
    // Per-worker counters too (process CPU): their series carry the worker's pid.
    const guarded = floor !== undefined && isMonotonic(metric);
    const values: ReturnType<typeof sample>[] = [];
    for (const [key, acc] of sums!) {
      const value = roundExact(acc);
      values.push(sample(key, guarded ? floor.apply(metric.name, key, value) : value, keys));
    }
    const data = { name: metric.name, help: metric.help, type: metric.type, aggregator: 'sum', values };
    registry.registerMetric({ ...data, get: () => data } as any);
  }
  if (others.length > 0) {
    // One array per metric is enough: aggregate() groups by name.
    for (const metric of AggregatorRegistry.aggregate(others).getMetricsAsArray()) registry.registerMetric(metric as any);
  }
  return registry;
}

/**
 * Dead workers' counters and histograms summed into one compact snapshot (the folded file). Each sum
 * keeps its exact partials (`p`), so a scrape that reads the folded file gives the very value it gave
 * while it read the dead files one by one.
 */
export function foldSnapshots(dead: Array<{ metrics: CompactMetric[] }>, perWorker: ReadonlySet<string>): CompactMetric[] {
  const out: CompactMetric[] = [];
  for (const { metric, sums } of mergeSnapshots([], dead, perWorker).values()) {
    if (!sums) continue;
    const k: string[] = [];
    const v: number[] = [];
    const p: Record<number, number[]> = {};
    let inexact = false;
    for (const [key, acc] of sums) {
      if (typeof acc !== 'number' && acc.length > 1) {
        p[k.length] = partialsOf(acc);
        inexact = true;
      }
      k.push(key);
      v.push(roundExact(acc));
    }
    out.push({ name: metric.name, help: metric.help, type: metric.type, aggregator: metric.aggregator, k, v, ...(inexact ? { p } : {}) });
  }
  return out;
}

function mergeSnapshots(
  live: Array<{ pid: number; metrics: CompactMetric[] }>,
  dead: Array<{ metrics: CompactMetric[] }>,
  perWorker: ReadonlySet<string>,
): Map<string, Merged> {
  const merged = new Map<string, Merged>();
  const add = (metric: CompactMetric, extraKey: string) => {
    let entry = merged.get(metric.name);
    if (entry === undefined) {
      entry = { metric, sums: null, others: null };
      merged.set(metric.name, entry);
    }
    if (extraKey === '' && metric.aggregator !== 'sum') {
      (entry.others ??= []).push(expand(metric));
      return;
    }
    const sums = (entry.sums ??= new Map());
    const { k, v, p } = metric;
    for (let i = 0; i < k.length; i++) {
      const key = extraKey ? k[i] + extraKey : k[i];
      const partials = p?.[i];
      if (partials === undefined) {
        sums.set(key, addExact(sums.get(key), v[i]));
        continue;
      }
      let acc = sums.get(key);
      for (const x of partials) acc = addExact(acc, x);
      sums.set(key, acc!);
    }
  };
  // A fixed order (by pid) keeps the series order and the gauges' `others` stable between scrapes.
  for (const snapshot of [...live].sort((a, b) => a.pid - b.pid)) {
    const workerKey = `${SEP}${WORKER_LABEL}${SEP}${snapshot.pid}`;
    for (const metric of snapshot.metrics) add(metric, perWorker.has(metric.name) || metric.type === 'summary' ? workerKey : '');
  }
  for (const snapshot of dead) {
    for (const metric of snapshot.metrics) if (isMonotonic(metric) && !perWorker.has(metric.name)) add(metric, '');
  }
  return merged;
}
