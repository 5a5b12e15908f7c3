import { AggregatorRegistry, Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { aggregateSnapshots, compactMetrics, snapshotRegistry } from '../../lib/cluster/cluster-aggregation';
import { LeanHistogram } from '../../lib/metrics/lean-histogram.metric';
import { SnapshotCompactor } from '../../lib/cluster/cluster-snapshot-compactor';

/** A worker's Registry with every kind of metric, filled with values that depend on `n`. */
function worker(n: number): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'orders' });
  const counter = new Counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue', 'result'], registers: [registry] });
  const histogram = new Histogram({ name: 'job_seconds', help: 'Job time.', labelNames: ['queue'], buckets: [0.1, 1], registers: [registry] });
  const sum = new Gauge({ name: 'jobs_running', help: 'Running.', registers: [registry] });
  const max = new Gauge({ name: 'queue_lag_seconds', help: 'Lag.', aggregator: 'max', registers: [registry] });
  const summary = new Summary({ name: 'payload_bytes', help: 'Payload.', percentiles: [0.5], registers: [registry] });
  // Label objects in another key order on each worker: the merge must not care.
  counter.inc(n % 2 ? { queue: 'a', result: 'ok' } : { result: 'ok', queue: 'a' }, n);
  if (n === 2) counter.inc({ queue: 'b', result: 'error' });
  histogram.observe({ queue: 'a' }, n / 4);
  sum.set(n);
  max.set(n * 10);
  summary.observe(n * 100);
  const lean = new LeanHistogram('lean_seconds', 'Lean.', ['route'], [0.5]);
  registry.registerMetric(lean as any);
  lean.child({ route: '/a' }).observe(n / 2);
  // A metric's own label wins over the default label of the same name.
  new Counter({ name: 'tenant_jobs_total', help: 'Jobs.', labelNames: ['service'], registers: [registry] }).inc({ service: 'billing' });
  return registry;
}

describe('snapshotRegistry', () => {
  it('gives the samples of getMetricsAsJSON() with the default labels, without its copies', async () => {
    const registry = worker(3);
    expect(await snapshotRegistry(registry, { service: 'orders' })).toEqual(compactMetrics(await registry.getMetricsAsJSON()));
  });
});

describe('aggregateSnapshots', () => {
  it("sums counters, histograms and sum-gauges as prom-client's AggregatorRegistry does, and honours other aggregators", async () => {
    const registries = [worker(1), worker(2), worker(3)];
    const json = await Promise.all(registries.map((r) => r.getMetricsAsJSON()));
    const ours = aggregateSnapshots(json.map((metrics, i) => ({ pid: 100 + i, metrics: compactMetrics(metrics) })), [], new Set());
    const reference = AggregatorRegistry.aggregate(json);
    // Label order aside (the merge sorts label names), the same lines.
    const normalize = (line: string) => line.replace(/\{(.*)\}/, (_, body: string) => `{${body.split(/,(?=\w+=")/).sort().join(',')}}`);
    const lines = async (r: Registry<any>) =>
      (await r.metrics()).split('\n').filter((l) => l && !l.startsWith('#') && !l.startsWith('payload_bytes')).map(normalize).sort();
    expect(await lines(ours)).toEqual(await lines(reference));
    const text = await ours.metrics();
    expect(text).toContain('jobs_total{queue="a",result="ok",service="orders"} 6');
    expect(text).toContain('queue_lag_seconds{service="orders"} 30');
    // Summaries are kept per worker: quantiles cannot be summed.
    expect(text).toContain('payload_bytes{quantile="0.5",service="orders",worker="101"} 200');
  });

  it('keeps only the counters and histograms of dead workers, and labels per-worker metrics', async () => {
    const live = { pid: 7, metrics: compactMetrics(await worker(1).getMetricsAsJSON()) };
    const dead = { metrics: compactMetrics(await worker(2).getMetricsAsJSON()) };
    const text = await aggregateSnapshots([live], [dead], new Set(['jobs_running'])).metrics();
    expect(text).toContain('jobs_total{queue="a",result="ok",service="orders"} 3');
    expect(text).toContain('jobs_total{queue="b",result="error",service="orders"} 1');
    expect(text).toContain('job_seconds_count{queue="a",service="orders"} 2');
    expect(text).toContain('jobs_running{service="orders",worker="7"} 1');
    expect(text).toContain('queue_lag_seconds{service="orders"} 10');
  });
});

describe('SnapshotCompactor', () => {
  it('keeps the keys (and their version) while only values change, and gives the keys getMetricsAsJSON() gives', async () => {
    const registry = worker(3);
    const compactor = new SnapshotCompactor({ service: 'orders' });
    const first = await compactor.snapshot(registry);
    const version = compactor.keysVersion;
    (registry.getSingleMetric('jobs_total') as Counter).inc({ queue: 'a', result: 'ok' });
    (registry.getSingleMetric('job_seconds') as Histogram).observe({ queue: 'a' }, 0.5);
    const second = await compactor.snapshot(registry);
    expect(compactor.keysVersion).toBe(version);
    expect(second.map((m) => m.k)).toEqual(first.map((m) => m.k));
    expect(second).toEqual(compactMetrics(await registry.getMetricsAsJSON()));
    // A new series: new keys, a new version.
    (registry.getSingleMetric('jobs_total') as Counter).inc({ queue: 'c', result: 'ok' });
    const third = await compactor.snapshot(registry);
    expect(compactor.keysVersion).toBe(version + 1);
    expect(third).toEqual(compactMetrics(await registry.getMetricsAsJSON()));
  });
});

describe('SnapshotCompactor, read from the prom-client series store', () => {
  it('gives what getMetricsAsJSON() gives after a reset, a removed series and a collect() callback', async () => {
    const registry = worker(2);
    let polled = 0;
    new Gauge({ name: 'polled', help: 'Polled.', registers: [registry], collect() { this.set(polled); } });
    const compactor = new SnapshotCompactor({ service: 'orders' });
    await compactor.snapshot(registry);
    const version = compactor.keysVersion;
    const counter = registry.getSingleMetric('jobs_total') as Counter;
    // As many series as before, other label sets: the keys are built again, a new key table.
    polled = 7;
    counter.reset();
    counter.inc({ queue: 'x', result: 'ok' }, 2);
    counter.inc({ queue: 'y', result: 'ok' }, 3);
    const afterReset = await compactor.snapshot(registry);
    expect(compactor.keysVersion).toBe(version + 1);
    expect(afterReset).toEqual(compactMetrics(await registry.getMetricsAsJSON()));
    counter.remove({ queue: 'x', result: 'ok' });
    const afterRemove = await compactor.snapshot(registry);
    expect(compactor.keysVersion).toBe(version + 2);
    expect(afterRemove).toEqual(compactMetrics(await registry.getMetricsAsJSON()));
    expect(afterRemove.find((m) => m.name === 'jobs_total')!.v).toEqual([3]);
    expect(afterRemove.find((m) => m.name === 'polled')!.v).toEqual([7]);
  });
});

describe('SnapshotCompactor.serialize', () => {
  it('gives what JSON.stringify gives, also when only values changed', async () => {
    const registry = worker(2);
    const compactor = new SnapshotCompactor({ service: 'orders' });
    for (let i = 0; i < 2; i++) {
      const snapshot = { id: '1-ab', pid: 1, app: 'x', seq: i, writtenAt: 5, keys: compactor.keysVersion, metrics: await compactor.snapshot(registry) };
      expect(compactor.serialize(snapshot)).toBe(JSON.stringify(snapshot));
      (registry.getSingleMetric('jobs_total') as Counter).inc({ queue: 'a', result: 'ok' });
    }
  });
});
