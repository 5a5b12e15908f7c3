/**
 * Metric names that boot but break the scrape (issue 24 item 12): each clash fails the declaration (so the boot), or
 * for OpenTelemetry-API instruments, which are created at run time, leaves one out and says so once. The refused
 * pairs are the ones promtool rejects: checked with the real promtool on their raw exposition.
 */
import { Injectable, Logger, Module } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import request from 'supertest';
import { MetricsService, ObservabilityConfigError, ObservabilityModule, ObservabilityTestingModule } from '../../lib';
import { renderRegistry } from '../../lib/metrics/metrics.renderer';
import { resolveObservabilityOptions } from '../../lib/observability-options.resolver';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';
import { promtool } from '../support/prometheus-server';
import { startTestMeterProvider, TestMeterProvider } from '../support/test-meter-provider';

type Kind = 'counter' | 'gauge' | 'histogram' | 'summary';
const PROM_CLIENT = { counter: Counter, gauge: Gauge, histogram: Histogram, summary: Summary } as const;

/** Pairs of metrics that each boot alone but together break the exposition. */
const CLASHES: Array<[string, [Kind, string], [Kind, string]]> = [
  ['a histogram and a gauge named as its _count', ['histogram', 'req'], ['gauge', 'req_count']],
  ['a histogram and a gauge named as its _bucket', ['histogram', 'req2'], ['gauge', 'req2_bucket']],
  ['a histogram and a gauge named as its _sum', ['histogram', 'req3_seconds'], ['gauge', 'req3_seconds_sum']],
  ['a summary and a gauge named as its _count', ['summary', 'lat'], ['gauge', 'lat_count']],
  ['a counter and a gauge named as its OpenMetrics sample', ['counter', 'jobs'], ['gauge', 'jobs_total']],
];

function service(): MetricsService {
  return new MetricsService(resolveObservabilityOptions({ metrics: { defaultMetrics: false } }));
}

function declare(metricsService: MetricsService, [kind, name]: [Kind, string]): unknown {
  return metricsService[kind]({ name, help: `The ${kind} ${name}` });
}

describe('prom-client metric names that clash in the exposition', () => {
  it.each(CLASHES)('%s: promtool rejects their exposition', async (_what, first, second) => {
    const registry = new Registry();
    for (const [kind, name] of [first, second]) new PROM_CLIENT[kind]({ name, help: `The ${kind} ${name}`, registers: [registry] });
    const { status } = promtool(['check', 'metrics'], await renderRegistry(registry, 'prometheus'));
    expect(status).not.toBe(0);
  });

  it.each(CLASHES)('%s: the second declaration fails, in either order, naming both', (_what, first, second) => {
    for (const [a, b] of [[first, second], [second, first]]) {
      const metricsService = service();
      declare(metricsService, a);
      expect(() => declare(metricsService, b)).toThrow(ObservabilityConfigError);
      expect(() => declare(metricsService, b)).toThrow(`"${a[1]}"`);
    }
  });

  it('refuses a label that starts with "__", "le" on a histogram, "quantile" on a summary, a repeated label, a name with "__"', () => {
    const metricsService = service();
    expect(() => metricsService.gauge({ name: 'g1', help: 'g', labelNames: ['__x'] })).toThrow('label names that start with "__" are reserved');
    expect(() => metricsService.histogram({ name: 'h1', help: 'h', labelNames: ['le'] })).toThrow(ObservabilityConfigError);
    expect(() => metricsService.summary({ name: 's1', help: 's', labelNames: ['quantile'] })).toThrow(ObservabilityConfigError);
    expect(() => metricsService.gauge({ name: 'g2', help: 'g', labelNames: ['a', 'a'] })).toThrow('the label "a" twice');
    expect(() => metricsService.gauge({ name: 'g3', help: 'g', labelNames: ['a-b'] })).toThrow('invalid label name "a-b"');
    expect(() => metricsService.gauge({ name: '__g', help: 'g' })).toThrow(ObservabilityConfigError);
    // What Prometheus accepts still declares.
    expect(() => metricsService.gauge({ name: 'g4', help: 'g', labelNames: ['le', '_x', 'quantile'] })).not.toThrow();
  });

  it('keeps names that only look alike: a histogram "req_seconds" and gauges "req_seconds_counts", "reqs_seconds_sum_max"', async () => {
    const metricsService = service();
    metricsService.histogram({ name: 'req_seconds', help: 'Requests' }).observe(0.1);
    metricsService.gauge({ name: 'req_seconds_counts', help: 'Counts' }).set(1);
    metricsService.gauge({ name: 'reqs_seconds_sum_max', help: 'Sums' }).set(1);
    metricsService.counter({ name: 'jobs_done_total', help: 'Jobs' }).inc();
    metricsService.gauge({ name: 'jobs_done_running', help: 'Jobs' }).set(1);
    expect(promtool(['check', 'metrics'], await metricsService.render('prometheus'))).toEqual({ status: 0, output: '' });
  });
});

@Injectable()
class ClashingGauge {
  constructor(metricsService: MetricsService) {
    metricsService.gauge({ name: 'http_server_request_duration_seconds_count', help: 'A gauge named as a sample of the HTTP histogram' });
  }
}

@Module({ providers: [ClashingGauge] })
class ClashingModule {}

describe.each(PLATFORMS)('a clash with the module\'s own metrics, or in the Registry directly, on %s', (platform) => {
  it('a gauge named http_server_request_duration_seconds_count fails the boot', async () => {
    await expect(createTestApp(platform, { imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false } }), ClashingModule] })).rejects.toThrow(
      /"http_server_request_duration_seconds_count".*"http_server_request_duration_seconds"|"http_server_request_duration_seconds".*"http_server_request_duration_seconds_count"/,
    );
  });

  it('metrics put in the Registry directly that clash fail the boot', async () => {
    await expect(
      createTestApp(platform, { imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false } })] }, (app) => {
        const { registry } = app.get(MetricsService);
        new Histogram({ name: 'direct', help: 'd', registers: [registry] });
        new Gauge({ name: 'direct_bucket', help: 'd', registers: [registry] });
      }),
    ).rejects.toThrow('the histogram "direct" and the gauge "direct_bucket" both write "direct_bucket"');
  });
});

describe('metrics put in the Registry directly after boot', () => {
  it('a clash among them is logged once, at the first scrape that sees it', async () => {
    const errors: string[] = [];
    const app = await createTestApp('express', { imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false } })] }, (a) =>
      a.useLogger({ log() {}, error: (m: string) => errors.push(m), warn() {}, debug() {}, verbose() {} }),
    );
    try {
      const { registry } = app.get(MetricsService);
      new Summary({ name: 'late', help: 'l', registers: [registry] });
      new Gauge({ name: 'late_sum', help: 'l', registers: [registry] });
      for (let i = 0; i < 3; i++) await request(app.getHttpServer()).get('/metrics').expect(200);
      expect(errors.filter((e) => e.includes('clash'))).toEqual([
        'Metric names clash in the Registry: the summary "late" and the gauge "late_sum" both write "late_sum". Prometheus rejects or drops such a scrape (promtool check metrics fails). Rename one of them.',
      ]);
    } finally {
      await app.close();
    }
  });
});

describe('OpenTelemetry-API instruments that clash once translated to Prometheus names', () => {
  let sdk: TestMeterProvider;
  beforeEach(() => (sdk = startTestMeterProvider('clash')));
  afterEach(() => sdk.stop());

  it('keep the first of each clash, say it once, count it, and pass promtool', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const app = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot({ metrics: { defaultMetrics: false } })] });
    try {
      const meter = metrics.getMeter('shop');
      meter.createGauge('queue.wait', { unit: 's' }).record(4);
      meter.createHistogram('queue.wait.seconds').record(2);
      meter.createCounter('orders.placed').add(1);
      meter.createCounter('orders_placed').add(2);
      // The same instrument name in another meter is no clash: its series carry another otel_scope_name.
      metrics.getMeter('billing').createCounter('orders.placed').add(5);
      const texts: string[] = [];
      for (let i = 0; i < 2; i++) texts.push((await request(app.getHttpServer()).get('/metrics').expect(200)).text);
      const text = texts[1];
      expect(text).toMatch(/^queue_wait_seconds\{otel_scope_name="shop"\} 4$/m);
      expect(text).not.toContain('queue_wait_seconds_bucket');
      expect(text.match(/^orders_placed_total\{[^}]*\} \d+$/gm)).toEqual([
        'orders_placed_total{otel_scope_name="shop"} 1',
        'orders_placed_total{otel_scope_name="billing"} 5',
      ]);
      expect(text).toMatch(/^otel_metric_name_clashes_total\{metric="queue_wait_seconds"\} 2$/m);
      expect(text).toMatch(/^otel_metric_name_clashes_total\{metric="orders_placed_total"\} 2$/m);
      expect(promtool(['check', 'metrics'], text)).toEqual({ status: 0, output: '' });
      const said = errors.mock.calls.map(([message]) => String(message)).filter((m) => m.includes('is left out of /metrics'));
      expect(said).toHaveLength(2);
      expect(said[0]).toContain('"queue.wait.seconds" (a histogram)');
      expect(said[0]).toContain('the gauge "queue.wait_seconds" already writes "queue_wait_seconds"');
      expect(said[1]).toContain('"orders_placed" (a counter)');
    } finally {
      errors.mockRestore();
      await app.close();
    }
  });
});
