import { randomBytes } from 'node:crypto';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CompactMetric } from './cluster-aggregation';

const SEP = '\u0000';

/** prom-client's own series store, as its `get()` reads it (`hashMap`, keyed by the label set's hash). */
interface PromSeriesStore {
  name: string;
  help: string;
  type: string;
  aggregator?: string;
  collect?: () => unknown;
  hashMap: Record<string, { labels: Record<string, unknown>; value?: number; bucketValues?: Record<number, number>; sum?: number; count?: number }>;
  upperBounds?: number[];
}

/** A metric's series hashes at its last snapshot, and the keys built from them. */
interface KnownSeries {
  hashes: string[];
  k: string[];
  /** A histogram's bucket bounds as the property names of `bucketValues` (a number key is turned into a string at every read). */
  bounds: string[] | null;
}

/**
 * One worker's side of a snapshot, for every scrape: reads the Registry as `registry.metrics()` does and
 * compacts it (see `CompactMetric`), doing the costly part, the sample keys, once per label set rather
 * than once per scrape. prom-client keeps each series' label object for the series' life, so a key is
 * cached on that object (a WeakMap: it goes with the series). While no series was added or removed, the
 * very same key arrays come back and `keysVersion` stays: a peer then sends its values only.
 */
export class SnapshotCompactor {
  private readonly keys = new WeakMap<object, Map<string, string>>();
  /** Each metric's JSON up to its values, cached on its (kept) key array. */
  private readonly heads = new WeakMap<string[], string>();
  private previous = new Map<string, string[]>();
  private previousOrder = '';
  /** Changes whenever a metric's series keys change (a series added or removed, a metric registered). */
  keysVersion = 0;
  /**
   * Random per compactor, hence per worker process: a key table is named by this and `keysVersion`
   * together (`keysToken`). Why: a counter alone starts at 1 in every process, so a replacement that
   * answered on the same socket (same worker id, new process) could have its values read against the
   * key table of the process before it, in another order or with other series.
   */
  readonly generation = randomBytes(6).toString('hex');

  /** The name of the current key table: `<generation>.<keysVersion>`. */
  get keysToken(): string {
    return `${this.generation}.${this.keysVersion}`;
  }

  constructor(private readonly defaultLabels: Readonly<Record<string, string>> = {}) {}

  /** Per plain prom-client metric: its series at the last snapshot (see `readStore`). */
  private readonly known = new WeakMap<object, KnownSeries>();

  async snapshot(registry: Registry): Promise<CompactMetric[]> {
    const metrics = registry.getMetricsAsArray() as unknown as Array<{ getForPromString?: () => unknown; get: () => unknown }>;
    const data = await Promise.all(metrics.map((m) => (isPlainPromMetric(m) ? this.readStore(m) : typeof m.getForPromString === 'function' ? m.getForPromString() : m.get())));
    return this.compact(data as any[]);
  }

  /**
   * A prom-client Counter, Gauge or Histogram of the very classes (not a subclass with a `get()` of its own),
   * read as its `get()` / `getForPromString()` would, without the sample objects they build for every
   * series and bucket: its `collect()` runs first, then the values are read from its series store. While
   * its series hashes are the ones of the last snapshot, the keys are those of the last snapshot.
   */
  private async readStore(metric: PromSeriesStore): Promise<{ name: string; help: string; type: string; aggregator?: string; k: string[]; v: number[] }> {
    if (metric.collect) {
      const pending = metric.collect();
      if (pending instanceof Promise) await pending;
    }
    const store = metric.hashMap;
    const hashes = Object.keys(store);
    const bounds = metric.type === 'histogram' ? metric.upperBounds! : null;
    let known = this.known.get(metric);
    if (known === undefined || !sameKeys(known.hashes, hashes)) {
      known = { hashes, k: this.storeKeys(metric, hashes, bounds), bounds: bounds && bounds.map(String) };
      this.known.set(metric, known);
    }
    const v: number[] = [];
    const boundNames = known.bounds;
    for (const hash of hashes) {
      const entry = store[hash];
      if (boundNames === null) {
        v.push(entry.value!);
        continue;
      }
      // As prom-client exports a histogram series: cumulative buckets, +Inf, _sum, _count.
      let acc = 0;
      const buckets = entry.bucketValues as unknown as Record<string, number>;
      for (const name of boundNames) v.push((acc += buckets[name]));
      v.push(entry.count!, entry.sum!, entry.count!);
    }
    return { name: metric.name, help: metric.help, type: metric.type, aggregator: metric.aggregator, k: known.k, v };
  }

  /** The keys of a plain prom-client metric's series, in the order `readStore` gives the values. */
  private storeKeys(metric: PromSeriesStore, hashes: string[], bounds: number[] | null): string[] {
    const keys: string[] = [];
    for (const hash of hashes) {
      const labels = metric.hashMap[hash].labels;
      if (bounds === null) {
        keys.push(this.keyOf({ labels }));
        continue;
      }
      const bucket = `${metric.name}_bucket`;
      for (const le of bounds) keys.push(this.keyOf({ labels: { le }, sharedLabels: labels, metricName: bucket }));
      keys.push(this.keyOf({ labels: { le: '+Inf' }, sharedLabels: labels, metricName: bucket }));
      keys.push(this.keyOf({ labels: {}, sharedLabels: labels, metricName: `${metric.name}_sum` }));
      keys.push(this.keyOf({ labels: {}, sharedLabels: labels, metricName: `${metric.name}_count` }));
    }
    return keys;
  }

  /** Compacts metrics in prom-client's JSON shape (`labels`, and `sharedLabels` as `getForPromString()` gives them). */
  compact(metrics: any[]): CompactMetric[] {
    let changed = false;
    const current = new Map<string, string[]>();
    const out = metrics.map((metric): CompactMetric => {
      if (metric.k !== undefined) {
        // Read from a prom-client store (`readStore`): the keys are built already.
        const before = this.previous.get(metric.name);
        if (before !== metric.k && !(before && sameKeys(before, metric.k))) changed = true;
        const k: string[] = before !== undefined && before !== metric.k && sameKeys(before, metric.k) ? before : metric.k;
        current.set(metric.name, k);
        return { name: metric.name, help: metric.help, type: metric.type, aggregator: metric.aggregator ?? 'sum', k, v: metric.v };
      }
      const values: any[] = metric.values ?? [];
      let k = new Array<string>(values.length);
      const v = new Array<number>(values.length);
      for (let i = 0; i < values.length; i++) {
        k[i] = this.keyOf(values[i]);
        v[i] = values[i].value;
      }
      const before = this.previous.get(metric.name);
      if (before && sameKeys(before, k)) k = before;
      else changed = true;
      current.set(metric.name, k);
      return { name: metric.name, help: metric.help, type: metric.type, aggregator: metric.aggregator ?? 'sum', k, v };
    });
    const order = [...current.keys()].join(SEP);
    if (changed || order !== this.previousOrder) this.keysVersion++;
    this.previous = current;
    this.previousOrder = order;
    return out;
  }

  /**
   * `JSON.stringify(snapshot)`, with each metric's name, help and keys serialized once while they are
   * unchanged (the keys are most of the bytes): only the values are serialized at every scrape.
   */
  serialize(snapshot: { metrics: CompactMetric[] } & Record<string, unknown>): string {
    const { metrics, ...rest } = snapshot;
    const parts: string[] = [];
    for (const metric of metrics) {
      let head = metric.p === undefined ? this.heads.get(metric.k) : undefined;
      if (head === undefined) {
        const { v: _values, ...withoutValues } = metric;
        head = JSON.stringify(withoutValues).slice(0, -1);
        if (metric.p === undefined) this.heads.set(metric.k, head);
      }
      parts.push(`${head},"v":${JSON.stringify(metric.v)}}`);
    }
    return `${JSON.stringify(rest).slice(0, -1)}${Object.keys(rest).length > 0 ? ',' : ''}"metrics":[${parts.join(',')}]}`;
  }

  private keyOf(sample: { labels?: Record<string, unknown>; sharedLabels?: Record<string, unknown>; metricName?: string }): string {
    const { labels, sharedLabels, metricName } = sample;
    // Histograms: the series' labels are `sharedLabels` (kept), `labels` holds `le` only (new each time).
    let anchor: object | undefined;
    let sub = metricName ?? '';
    if (sharedLabels) {
      let only = true;
      for (const name in labels) if (name !== 'le') only = false;
      if (only) {
        anchor = sharedLabels;
        sub += SEP + String(labels?.le ?? '');
      }
    } else anchor = labels;
    if (anchor === undefined) return this.buildKey(sample);
    let byName = this.keys.get(anchor);
    if (byName === undefined) {
      byName = new Map();
      this.keys.set(anchor, byName);
    }
    let key = byName.get(sub);
    if (key === undefined) {
      key = this.buildKey(sample);
      byName.set(sub, key);
    }
    return key;
  }

  /** `metricName`, then label name and value pairs sorted by name (the sample's, then shared, then default labels). */
  private buildKey({ labels, sharedLabels, metricName }: { labels?: Record<string, unknown>; sharedLabels?: Record<string, unknown>; metricName?: string }): string {
    const names = labels ? Object.keys(labels) : [];
    if (sharedLabels) for (const name in sharedLabels) if (!labels || !(name in labels)) names.push(name);
    for (const name in this.defaultLabels) if (!(labels && name in labels) && !(sharedLabels && name in sharedLabels)) names.push(name);
    if (names.length > 1) names.sort();
    let key = metricName ?? '';
    for (const name of names) key += SEP + name + SEP + String(labels?.[name] ?? sharedLabels?.[name] ?? this.defaultLabels[name]);
    return key;
  }
}

function isPlainPromMetric(metric: object): metric is PromSeriesStore {
  const prototype = Object.getPrototypeOf(metric);
  return (prototype === Counter.prototype || prototype === Gauge.prototype || prototype === Histogram.prototype) && typeof (metric as PromSeriesStore).hashMap === 'object';
}

function sameKeys(a: string[], b: string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
