/**
 * The runtime metrics against prom-client's and @willsoto/nestjs-prometheus's defaults: the same names
 * (with `promClientNames` for the `*_total` gauges that promtool's lint rejects), plus event-loop
 * utilization and bounded active resources by type.
 */
import { INestApplication } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { collectDefaultMetrics, register, Registry } from 'prom-client';
import request from 'supertest';
import { ObservabilityConfigError, ObservabilityModule } from '../../lib';
import { MAX_RESOURCE_TYPES } from '../../lib/metrics/default-metrics.collector';
import { createTestApp, parseSamples } from '../fixtures/create-test-app';

/** The names prom-client's collectDefaultMetrics registers (no scrape: its handle collectors read Node internals). */
function promClientDefaultNames(): string[] {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry.getMetricsAsArray().map((metric) => metric.name).sort();
}

const LEFT_OUT_BY_DEFAULT = ['nodejs_active_handles', 'nodejs_active_handles_total', 'nodejs_active_requests', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

describe('default runtime metrics', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function names(defaultMetrics: object | true): Promise<{ names: string[]; text: string }> {
    app = await createTestApp('express', { imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics, http: false } })] });
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]).filter((n) => n.startsWith('nodejs_') || n.startsWith('process_'));
    return { names: families.sort(), text };
  }

  it("@willsoto/nestjs-prometheus's defaults are prom-client's collectDefaultMetrics names", async () => {
    const willsoto = await createTestApp('express', { imports: [PrometheusModule.register()] });
    try {
      expect(register.getMetricsAsArray().map((m) => m.name).sort()).toEqual(promClientDefaultNames());
    } finally {
      await willsoto.close();
      register.clear();
    }
  });

  it("with promClientNames every prom-client / willsoto default name is served, plus event-loop utilization", async () => {
    const { names: ours, text } = await names({ promClientNames: true });
    expect(promClientDefaultNames().filter((name) => !ours.includes(name))).toEqual([]);
    expect(ours.filter((name) => !promClientDefaultNames().includes(name))).toEqual(['nodejs_eventloop_utilization_ratio']);
    const samples = parseSamples(text);
    // The app's listening server is a handle.
    expect(samples.get('nodejs_active_handles_total')).toBeGreaterThan(0);
    expect(samples.get('nodejs_active_resources_total')).toBe(
      [...samples].filter(([series]) => series.startsWith('nodejs_active_resources{')).reduce((sum, [, v]) => sum + v, 0),
    );
  });

  it('by default the five *_total / handle-split gauges are left out (promtool lint), and nothing else is', async () => {
    const { names: ours } = await names(true);
    expect(promClientDefaultNames().filter((name) => !ours.includes(name))).toEqual(LEFT_OUT_BY_DEFAULT);
    expect(ours).toContain('nodejs_active_resources');
    expect(ours).toContain('nodejs_heap_space_size_total_bytes');
  });

  it('nodejs_eventloop_utilization_ratio is the busy share since the previous scrape, from 0 to 1', async () => {
    await names(true);
    const busyUntil = Date.now() + 100;
    while (Date.now() < busyUntil); // keep the loop busy
    const text = (await request(app!.getHttpServer()).get('/metrics').expect(200)).text;
    const ratio = parseSamples(text).get('nodejs_eventloop_utilization_ratio')!;
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThanOrEqual(1);
  });

  it(`active resources by type are bounded: at most ${MAX_RESOURCE_TYPES} types, the rest summed as "other"`, async () => {
    await names({ promClientNames: true });
    const real = process.getActiveResourcesInfo;
    const many = Array.from({ length: 50 }, (_, i) => `Kind${i}Wrap`).flatMap((type, i) => Array(i + 1).fill(type));
    process.getActiveResourcesInfo = () => many;
    let text: string;
    try {
      text = (await request(app!.getHttpServer()).get('/metrics').expect(200)).text;
    } finally {
      process.getActiveResourcesInfo = real;
    }
    const series = [...parseSamples(text)].filter(([name]) => name.startsWith('nodejs_active_resources{'));
    expect(series).toHaveLength(MAX_RESOURCE_TYPES + 1);
    expect(series.reduce((sum, [, v]) => sum + v, 0)).toBe(many.length);
    expect(Object.fromEntries(series)['nodejs_active_resources{type="other"}']).toBe(((18 * 19) / 2));
    expect(Object.fromEntries(series)['nodejs_active_resources{type="Kind49Wrap"}']).toBe(50);
  });

  it('promClientNames must be a boolean', async () => {
    await expect(createTestApp('express', { imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: { promClientNames: 'yes' as never } } })] })).rejects.toThrow(
      ObservabilityConfigError,
    );
  });
});
