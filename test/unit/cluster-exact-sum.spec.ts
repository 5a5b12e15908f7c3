/**
 * Issue 19 §3: a cluster sum must never go down while no worker restarts. Plain `+` over workers in
 * the order their answers came gave 25.032882116999872 then 25.03288211699987: Prometheus read a reset.
 */
import type { CompactMetric } from '../../lib/cluster/cluster-aggregation';
import { aggregateSnapshots, foldSnapshots } from '../../lib/cluster/cluster-aggregation';
import { ClusterSumFloor } from '../../lib/cluster/cluster-sum-floor';
import { addExact, ExactAccumulator, roundExact } from '../../lib/cluster/exact-sum';
import { parseSamples } from '../fixtures/create-test-app';

const NONE = new Set<string>();

/** One worker's snapshot of a histogram's `_sum` and `_count` and a counter, as compactMetrics() gives them. */
function snapshot(pid: number, sum: number, count: number): { pid: number; id: string; metrics: CompactMetric[] } {
  return {
    pid,
    id: `${pid}-ab`,
    metrics: [
      { name: 'req_seconds', help: 'Time.', type: 'histogram', aggregator: 'sum', k: ['req_seconds_sum', 'req_seconds_count'], v: [sum, count] },
      { name: 'bytes_total', help: 'Bytes.', type: 'counter', aggregator: 'sum', k: ['bytes_total'], v: [sum * 3] },
    ],
  };
}

async function sums(registry: ReturnType<typeof aggregateSnapshots>): Promise<Map<string, number>> {
  return parseSamples(await registry.metrics());
}

/** A small deterministic PRNG (mulberry32), so that a failure can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('exact sums', () => {
  const fsum = (values: number[]) => roundExact(values.reduce<ExactAccumulator | undefined>((acc, x) => addExact(acc, x), undefined) ?? 0);

  it('gives the exact sum rounded once, as Python math.fsum does', () => {
    expect(fsum(Array(10).fill(0.1))).toBe(1);
    expect(fsum([1e-16, 1, 1e16])).toBe(10000000000000002);
    expect(fsum([1e100, 1, -1e100, 1])).toBe(2);
    expect(fsum([2 ** 53, 1, 1])).toBe(2 ** 53 + 2);
    expect(fsum([1, Infinity, 2])).toBe(Infinity);
    expect(fsum([3, 4])).toBe(7);
  });

  it('does not depend on the order of the additions', () => {
    const next = random(7);
    for (let round = 0; round < 200; round++) {
      const values = Array.from({ length: 2 + Math.floor(next() * 10) }, () => next() * 10 ** Math.floor(next() * 6));
      const shuffled = [...values].sort(() => next() - 0.5);
      expect(fsum(shuffled)).toBe(fsum(values));
    }
  });
});

describe('a cluster sum never goes down', () => {
  it('whichever order the peers answered in', async () => {
    // (0.1 + 0.2) + 0.3 and (0.2 + 0.3) + 0.1 are one ulp apart.
    const [a, b, c] = [snapshot(1, 0.1, 1), snapshot(2, 0.2, 1), snapshot(3, 0.3, 1)];
    const first = await sums(aggregateSnapshots([a, b, c], [], NONE));
    const second = await sums(aggregateSnapshots([b, c, a], [], NONE));
    expect(second.get('req_seconds_sum')).toBe(first.get('req_seconds_sum'));
    expect(second.get('bytes_total')).toBe(first.get('bytes_total'));
    expect(first.get('req_seconds_sum')).toBe(0.6);
  });

  it('when a worker moves from the live ones to the dead ones, and when the dead ones are folded into one file', async () => {
    const [a, b, c, d] = [snapshot(9, 0.1, 1), snapshot(2, 0.2, 1), snapshot(5, 0.3, 1), snapshot(4, 1e-17, 1)];
    const all = await sums(aggregateSnapshots([a, b, c, d], [], NONE));
    const oneDead = await sums(aggregateSnapshots([b, c, d], [a], NONE));
    const folded = { metrics: foldSnapshots([a, c], NONE) };
    const twoFolded = await sums(aggregateSnapshots([b, d], [folded], NONE));
    // Folded files of folded files keep the exact partials too.
    const refolded = await sums(aggregateSnapshots([d], [{ metrics: foldSnapshots([folded, b], NONE) }], NONE));
    for (const series of ['req_seconds_sum', 'req_seconds_count', 'bytes_total']) {
      expect({ series, value: oneDead.get(series) }).toEqual({ series, value: all.get(series) });
      expect({ series, value: twoFolded.get(series) }).toEqual({ series, value: all.get(series) });
      expect({ series, value: refolded.get(series) }).toEqual({ series, value: all.get(series) });
    }
  });

  it('over 300 scrapes of 4 workers with float sums, answers in any order, workers retiring and folded', async () => {
    const next = random(19);
    let workers = [1, 2, 3, 4].map((pid) => ({ pid, sum: 0, count: 0 }));
    let dead: Array<{ metrics: CompactMetric[] }> = [];
    let nextPid = 5;
    let previous = new Map<string, number>();
    const decreases: string[] = [];
    for (let scrape = 0; scrape < 300; scrape++) {
      // Some requests (durations of a few ms), or none: a scrape with no new request must give the same sums.
      if (next() < 0.5) for (const w of workers) if (next() < 0.5) (w.sum += next() * 0.05), w.count++;
      if (next() < 0.05) {
        // A worker ends gracefully: its last snapshot is kept; a replacement starts from zero.
        const [gone] = workers.splice(Math.floor(next() * workers.length), 1);
        dead.push(snapshot(gone.pid, gone.sum, gone.count));
        workers.push({ pid: nextPid++, sum: 0, count: 0 });
      }
      if (dead.length >= 4) dead = [{ metrics: foldSnapshots(dead, NONE) }];
      const live = workers.map((w) => snapshot(w.pid, w.sum, w.count)).sort(() => next() - 0.5);
      const current = await sums(aggregateSnapshots(live, [...dead].sort(() => next() - 0.5), NONE));
      for (const [series, value] of current) if (value < (previous.get(series) ?? -Infinity)) decreases.push(`scrape ${scrape}: ${series} ${previous.get(series)} -> ${value}`);
      previous = current;
    }
    expect(decreases).toEqual([]);
  });

  it('holds a series that comes back smaller at its floor, and counts each time it does', async () => {
    const acted: string[] = [];
    const floor = new ClusterSumFloor((metric) => acted.push(metric));
    const before = await sums(aggregateSnapshots([snapshot(1, 2.5, 3)], [], NONE, floor));
    // A kept file lost, say: the sum would go down.
    const after = await sums(aggregateSnapshots([snapshot(1, 1.5, 2)], [], NONE, floor));
    expect(after.get('req_seconds_sum')).toBe(before.get('req_seconds_sum'));
    expect(after.get('req_seconds_count')).toBe(3);
    expect(after.get('bytes_total')).toBe(7.5);
    expect(acted).toEqual(['req_seconds', 'req_seconds', 'bytes_total']);
    // Growth passes through, and moves the floor.
    expect((await sums(aggregateSnapshots([snapshot(1, 4, 5)], [], NONE, floor))).get('req_seconds_count')).toBe(5);
    expect(acted).toHaveLength(3);
  });
});

describe('a NaN gauge', () => {
  it('comes through JSON as null and stays NaN instead of failing the scrape', async () => {
    const gauge = (pid: number, v: number): { pid: number; metrics: CompactMetric[] } => ({
      pid,
      metrics: [{ name: 'lag', help: 'Lag.', type: 'gauge', aggregator: 'sum', k: ['lag'], v: [v] }],
    });
    const [a, b] = JSON.parse(JSON.stringify([gauge(1, NaN), gauge(2, 1)]));
    expect((await sums(aggregateSnapshots([a, b], [], NONE))).get('lag')).toBeNaN();
  });
});
