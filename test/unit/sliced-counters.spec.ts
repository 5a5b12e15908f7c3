import { Counter, Gauge, Registry } from 'prom-client';
import { renderRegistry } from '../../lib';

/** A Registry that renders OpenMetrics (prom-client's typings omit the constructor argument). */
function openMetricsRegistry(): Registry {
  return new (Registry as unknown as new (type: string) => Registry)(Registry.OPENMETRICS_CONTENT_TYPE);
}

/** Non-empty lines, in order. prom-client writes NaN as "Nan", the renderer as "NaN" (both parse). */
function lines(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && l !== '# EOF');
}

/**
 * Counters and gauges with what needs care: label values to escape, a series without labels, NaN
 * and infinities, a `collect()` callback that is sync and one that is async, default labels (one
 * of which a series overrides).
 */
function populate(registry: Registry, exemplars: boolean): void {
  const requests = new Counter({ name: 'requests_total', help: 'Requests \\ served\nby route', labelNames: ['route', 'status'], registers: [registry], enableExemplars: exemplars } as never) as Counter<string>;
  const inc = requests.inc.bind(requests) as unknown as (...args: unknown[]) => void;
  const values: Array<[Record<string, string>, number]> = [
    [{ route: '/a"b\\c\nd', status: '200' }, 2],
    [{ route: '/plain', status: '500' }, 1.5],
    [{ route: '/plain', status: '200' }, 1e21],
  ];
  for (const [labels, value] of values) {
    if (exemplars) inc({ labels, value, exemplarLabels: { trace_id: 'abc"d', span_id: '01' } });
    else inc(labels, value);
  }
  if (exemplars) inc({ labels: { route: '/no-exemplar', status: '200' }, value: 3 });
  const jobs = new Counter({ name: 'jobs', help: 'Jobs (no _total in the name)', registers: [registry] });
  jobs.inc(7);
  const depth = new Gauge({ name: 'queue_depth', help: 'Depth', labelNames: ['queue', 'service'], registers: [registry] });
  depth.set({ queue: 'a' }, NaN);
  depth.set({ queue: 'b' }, Infinity);
  depth.set({ queue: 'c', service: 'own' }, -Infinity);
  depth.set({ queue: 'd' }, -0.25);
  let ticks = 0;
  new Gauge({
    name: 'sync_collected',
    help: 'Set by a sync collect()',
    labelNames: ['kind'],
    registers: [registry],
    collect() {
      this.set({ kind: 'tick' }, ++ticks);
      this.set({ kind: 'fixed' }, 1);
    },
  });
  new Counter({
    name: 'async_collected_total',
    help: 'Set by an async collect()',
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      await new Promise((resolve) => setImmediate(resolve));
      this.reset();
      this.inc({ source: 'remote' }, 42);
    },
  });
  registry.setDefaultLabels({ service: 'orders', zone: 'eu"1' });
}

const DEFAULTS = { service: 'orders', zone: 'eu"1' };

describe('renderRegistry reads prom-client counters and gauges in slices', () => {
  it("writes the Prometheus text format line for line as prom-client's registry.metrics()", async () => {
    const registry = new Registry();
    populate(registry, false);
    const ours = lines(await renderRegistry(registry, 'prometheus', DEFAULTS, { sliceMs: 1e-6 }));
    const theirs = lines(await registry.metrics());
    // Only the tick of the sync collect() differs: each render runs collect() once, as prom-client does.
    expect(ours.filter((l) => !l.includes('tick'))).toEqual(theirs.filter((l) => !l.includes('tick')).map((l) => l.replace(/ Nan$/, ' NaN')));
    expect(ours).toContain('sync_collected{kind="tick",service="orders",zone="eu\\"1"} 1');
    expect(theirs).toContain('sync_collected{kind="tick",service="orders",zone="eu\\"1"} 2');
    expect(ours).toContain('requests_total{route="/a\\"b\\\\c\\nd",status="200",service="orders",zone="eu\\"1"} 2');
    expect(ours).toContain('queue_depth{queue="c",service="own",zone="eu\\"1"} -Inf');
    expect(ours).toContain('async_collected_total{source="remote",service="orders",zone="eu\\"1"} 42');
    expect(ours).toHaveLength(theirs.length);
  });

  it("writes OpenMetrics, exemplars included, line for line as prom-client's registry.metrics()", async () => {
    const registry = openMetricsRegistry();
    populate(registry, true);
    // Ours first: prom-client's OpenMetrics render renames the counters it renders.
    const text = await renderRegistry(registry, 'openmetrics', DEFAULTS, { sliceMs: 1e-6 });
    const theirs = lines(await registry.metrics());
    const ours = lines(text);
    // prom-client leaves quotes in HELP unescaped, which OpenMetrics requires escaped: no quote in these helps.
    expect(ours.filter((l) => !l.includes('tick'))).toEqual(theirs.filter((l) => !l.includes('tick')).map((l) => l.replace(/ Nan$/, ' NaN')));
    expect(ours).toContain('# TYPE requests counter');
    expect(ours).toContain('# TYPE jobs counter');
    expect(ours).toContain('jobs_total{service="orders",zone="eu\\"1"} 7');
    expect(ours.find((l) => l.startsWith('requests_total{route="/plain",status="500"'))).toMatch(
      / 1\.5 # \{trace_id="abc\\"d",span_id="01"\} 1\.5 \d+(\.\d+)?$/,
    );
    expect(ours.find((l) => l.startsWith('requests_total{route="/no-exemplar"'))).toBe('requests_total{route="/no-exemplar",status="200",service="orders",zone="eu\\"1"} 3');
    expect(text.endsWith('# EOF\n')).toBe(true);
  });

  it('leaves the exemplars out of the Prometheus text format', async () => {
    const registry = openMetricsRegistry();
    populate(registry, true);
    const text = await renderRegistry(registry, 'prometheus', DEFAULTS);
    expect(text).toContain('requests_total{route="/plain",status="500",service="orders",zone="eu\\"1"} 1.5\n');
    expect(text).not.toContain('trace_id');
  });

  it('never reads more than a few hundred entries of a 20,000-series counter in one turn of the event loop', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'big_total', help: 'Big', labelNames: ['route', 'status'], registers: [registry] });
    for (let i = 0; i < 20_000; i++) counter.inc({ route: `/r${Math.floor(i / 5)}`, status: String(200 + (i % 5)) }, i + 1);
    // Observe prom-client's own storage: which entries are read, and in which turn of the loop.
    let turn = 0;
    const readsPerTurn = new Map<number, number>();
    const store = (counter as unknown as { hashMap: Record<string, unknown> }).hashMap;
    (counter as unknown as { hashMap: Record<string, unknown> }).hashMap = new Proxy(store, {
      get(target, key) {
        if (typeof key === 'string' && key in target) readsPerTurn.set(turn, (readsPerTurn.get(turn) ?? 0) + 1);
        return Reflect.get(target, key);
      },
    });
    let running = true;
    const chain = () => {
      turn++;
      if (running) setImmediate(chain);
    };
    setImmediate(chain);
    // Slices as short as the clock allows: the renderer yields at each of its clock checks.
    const text = await renderRegistry(registry, 'prometheus', {}, { sliceMs: 1e-6 });
    running = false;
    expect(lines(text)).toHaveLength(20_002);
    expect([...readsPerTurn.values()].reduce((a, b) => a + b, 0)).toBe(20_000);
    // prom-client's get() reads all 20,000 in one turn; the renderer reads one clock check's worth (32).
    expect(Math.max(...readsPerTurn.values())).toBeLessThanOrEqual(500);
    expect(readsPerTurn.size).toBeGreaterThanOrEqual(40);
  });

  it('skips a series removed while the render is under way, and renders one added meanwhile on the next scrape', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'C', labelNames: ['n'], registers: [registry] });
    for (let i = 0; i < 5_000; i++) counter.inc({ n: String(i) });
    const removing = new Promise<void>((resolve) =>
      setImmediate(() => {
        counter.remove({ n: '4999' });
        counter.inc({ n: 'late' });
        resolve();
      }),
    );
    const text = await renderRegistry(registry, 'prometheus', {}, { sliceMs: 1e-6 });
    await removing;
    expect(text).not.toContain('c_total{n="4999"}');
    expect(text).toContain('c_total{n="4998"} 1\n');
    expect(await renderRegistry(registry, 'prometheus')).toContain('c_total{n="late"} 1\n');
  });

  it('renders a subclass that overrides get() through its own get()', async () => {
    class Doubled extends Counter<string> {
      override async get() {
        const data = await super.get();
        return { ...data, values: data.values.map((v) => ({ ...v, value: v.value * 2 })) };
      }
    }
    const registry = new Registry();
    new Doubled({ name: 'doubled_total', help: 'Doubled', registers: [registry] }).inc(3);
    expect(await renderRegistry(registry, 'prometheus')).toContain('doubled_total 6\n');
  });

  it('with a duty cycle below 1, rests between slices and lets the event loop turn many times more', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'rest_total', help: 'Rest', labelNames: ['n'], registers: [registry] });
    for (let i = 0; i < 5_000; i++) counter.inc({ n: String(i) });
    const turnsDuring = async (dutyCycle: number): Promise<{ turns: number; text: string }> => {
      let turns = 0;
      let running = true;
      const chain = () => {
        turns++;
        if (running) setImmediate(chain);
      };
      setImmediate(chain);
      const text = await renderRegistry(registry, 'prometheus', {}, { sliceMs: 1e-6, dutyCycle });
      running = false;
      return { turns, text };
    };
    const full = await turnsDuring(1);
    const rested = await turnsDuring(0.05);
    expect(rested.text).toBe(full.text);
    // Without rest: about one turn per slice. With rests of ≥ 1 ms, the loop turns freely meanwhile.
    expect(rested.turns).toBeGreaterThan(3 * full.turns);
  });
});
