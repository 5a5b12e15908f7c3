import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { negotiateFormat, renderRegistry } from '../../lib';
import { LeanCounter } from '../../lib/metrics/lean-counter.metric';
import { LeanHistogram } from '../../lib/metrics/lean-histogram.metric';

/** Sample lines with their labels sorted, so that two renderers' label order does not matter. */
function sampleLines(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((line) => {
      const m = /^([^{ ]+)(?:\{(.*)\})? (.*)$/.exec(line)!;
      const labels = m[2] ? m[2].match(/[a-zA-Z_]+="(?:[^"\\]|\\.)*"/g)!.sort().join(',') : '';
      return `${m[1]}{${labels}} ${m[3]}`;
    })
    .sort();
}

function populated(): Registry {
  const registry = new Registry();
  new Counter({ name: 'jobs_total', help: 'Jobs\nwith "quotes" \\ and newline', labelNames: ['queue'], registers: [registry] }).inc({ queue: 'a"b\\c\nd' }, 2);
  new Gauge({ name: 'depth', help: 'Depth', registers: [registry] }).set(Infinity);
  const h = new Histogram({ name: 'lat_seconds', help: 'Latency', labelNames: ['route'], buckets: [0.1, 1], registers: [registry] });
  h.observe({ route: '/x' }, 0.5);
  h.observe({ route: '/x' }, 3);
  const s = new Summary({ name: 'size_bytes', help: 'Sizes', percentiles: [0.5], registers: [registry] });
  s.observe(10);
  return registry;
}

describe('renderRegistry', () => {
  it('writes the same samples as prom-client in the Prometheus text format', async () => {
    const registry = populated();
    registry.setDefaultLabels({ service: 'orders' });
    const ours = await renderRegistry(registry, 'prometheus', { service: 'orders' });
    const theirs = await registry.metrics();
    expect(sampleLines(ours)).toEqual(sampleLines(theirs));
    expect(sampleLines(ours)).toHaveLength(10);
    expect(ours).toContain('# HELP jobs_total Jobs\\nwith "quotes" \\\\ and newline');
    expect(ours).toContain('jobs_total{queue="a\\"b\\\\c\\nd",service="orders"} 2');
    expect(ours).toContain('depth{service="orders"} +Inf');
  });

  it('writes OpenMetrics: counter families without _total, samples with it, and # EOF', async () => {
    const registry = populated();
    const text = await renderRegistry(registry, 'openmetrics');
    expect(text).toContain('# TYPE jobs counter\n');
    expect(text).toContain('jobs_total{queue="a\\"b\\\\c\\nd"} 2\n');
    expect(text).toContain('# HELP jobs Jobs\\nwith \\"quotes\\" \\\\ and newline');
    expect(text.endsWith('# EOF\n')).toBe(true);
    // Rendering OpenMetrics does not rename anything for the next text scrape.
    expect(await renderRegistry(registry, 'prometheus')).toContain('# TYPE jobs_total counter');
  });

  it('renders lean metrics, with exemplars in OpenMetrics only', async () => {
    const registry = new Registry();
    const counter = new LeanCounter('calls_total', 'Calls', ['method']);
    const histogram = new LeanHistogram('work_seconds', 'Work', ['method'], [0.1, 1]);
    registry.registerMetric(counter as any);
    registry.registerMetric(histogram as any);
    counter.child({ method: 'a' }).inc();
    const child = histogram.child({ method: 'a' });
    child.observe(0.05);
    child.observeWithExemplar(0.5, { trace_id: 'abc', span_id: 'def' });
    const text = await renderRegistry(registry, 'prometheus');
    expect(text).toContain('calls_total{method="a"} 1\n');
    expect(text).toContain('work_seconds_bucket{method="a",le="0.1"} 1\n');
    expect(text).toContain('work_seconds_bucket{method="a",le="1"} 2\n');
    expect(text).toContain('work_seconds_bucket{method="a",le="+Inf"} 2\n');
    expect(text).toContain('work_seconds_sum{method="a"} 0.55\n');
    expect(text).toContain('work_seconds_count{method="a"} 2\n');
    expect(text).not.toContain('trace_id');
    const open = await renderRegistry(registry, 'openmetrics');
    expect(open).toMatch(/work_seconds_bucket\{method="a",le="1"\} 2 # \{trace_id="abc",span_id="def"\} 0.5 \d+(\.\d+)?\n/);
    // prom-client's own renderer accepts them too.
    expect(await registry.metrics()).toContain('work_seconds_count{method="a"} 2');
  });
});

/** A Registry with `counters` counter series and `children` histogram children (14 lines each). */
function large(counters: number, children: number): Registry {
  const registry = new Registry();
  const counter = new Counter({ name: 'requests_total', help: 'Requests', labelNames: ['route', 'status'], registers: [registry] });
  const histogram = new Histogram({ name: 'request_seconds', help: 'Latency', labelNames: ['route'], registers: [registry] });
  for (let i = 0; i < counters; i++) counter.inc({ route: `/r${Math.floor(i / 5)}`, status: String(200 + (i % 5)) }, i + 1);
  for (let i = 0; i < children; i++) for (let k = 0; k < 3; k++) histogram.observe({ route: `/r${i}` }, ((i + k) % 40) / 7);
  return registry;
}

describe('renderRegistry on large registries', () => {
  it('yields to the event loop between slices, and writes the same samples as prom-client', async () => {
    const registry = large(4_000, 700);
    registry.setDefaultLabels({ service: 'orders' });
    let ranDuringRender = false;
    setImmediate(() => (ranDuringRender = true));
    const ours = await renderRegistry(registry, 'prometheus', { service: 'orders' }, { sliceMs: 1 });
    expect(ranDuringRender).toBe(true);
    const lines = sampleLines(ours);
    expect(lines).toHaveLength(4_000 + 700 * 14);
    expect(lines).toEqual(sampleLines(await registry.metrics()));
  });

  it('with sliceMs 0, renders in one go', async () => {
    const registry = large(4_000, 700);
    let ranDuringRender = false;
    setImmediate(() => (ranDuringRender = true));
    await renderRegistry(registry, 'prometheus', {}, { sliceMs: 0 });
    expect(ranDuringRender).toBe(false);
  });

  it('keeps each histogram series consistent while observations land between slices', async () => {
    const registry = large(0, 2_000);
    const histogram = registry.getSingleMetric('request_seconds') as Histogram<string>;
    let stop = false;
    const writer = (function observe() {
      if (stop) return;
      for (let i = 0; i < 2_000; i += 7) histogram.observe({ route: `/r${i}` }, 0.5);
      setImmediate(observe);
    })();
    void writer;
    const text = await renderRegistry(registry, 'prometheus', {}, { sliceMs: 0.5 });
    stop = true;
    const samples = new Map(sampleLines(text).map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
    for (let i = 0; i < 2_000; i++) {
      const inf = samples.get(`request_seconds_bucket{le="+Inf",route="/r${i}"}`);
      expect(inf).toBe(samples.get(`request_seconds_count{route="/r${i}"}`));
      expect(samples.get(`request_seconds_bucket{le="10",route="/r${i}"}`)).toBeLessThanOrEqual(inf!);
    }
  });

  it("writes a prom-client histogram's exemplars in OpenMetrics, on the bucket they fell in", async () => {
    // prom-client only accepts exemplars on a Registry created for OpenMetrics (its typings omit the argument).
    const registry: Registry = new (Registry as unknown as new (type: string) => Registry)(Registry.OPENMETRICS_CONTENT_TYPE);
    const histogram = new Histogram({ name: 'job_seconds', help: 'Jobs', labelNames: ['queue'], buckets: [0.1, 1], enableExemplars: true, registers: [registry] } as never) as Histogram<string>;
    const observe = histogram.observe.bind(histogram) as unknown as (data: object) => void;
    observe({ labels: { queue: 'a' }, value: 0.5, exemplarLabels: { trace_id: 't1' } });
    observe({ labels: { queue: 'a' }, value: 5, exemplarLabels: { trace_id: 't2' } });
    const open = await renderRegistry(registry, 'openmetrics');
    expect(open).toMatch(/job_seconds_bucket\{queue="a",le="1"\} 1 # \{trace_id="t1"\} 0.5 \d+(\.\d+)?\n/);
    expect(open).toMatch(/job_seconds_bucket\{queue="a",le="\+Inf"\} 2 # \{trace_id="t2"\} 5 \d+(\.\d+)?\n/);
    expect(open).toContain('job_seconds_bucket{queue="a",le="0.1"} 0\n');
  });
});

describe('negotiateFormat', () => {
  it.each([
    [undefined, 'prometheus'],
    ['text/plain', 'prometheus'],
    ['*/*', 'prometheus'],
    ['application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1', 'openmetrics'],
    ['application/openmetrics-text; q=0, text/plain', 'prometheus'],
  ])('%s -> %s', (accept, format) => {
    expect(negotiateFormat(accept)).toBe(format);
  });
});
