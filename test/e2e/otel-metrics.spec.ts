/**
 * OpenTelemetry-API metrics and nestjs-otel beside the module (issue 10 §1, §2): one /metrics for both worlds,
 * nestjs-otel spans inside the module's server span.
 */
import { INestApplication, Logger } from '@nestjs/common';
import { metrics, trace, TracerProvider } from '@opentelemetry/api';
import { OpenTelemetryModule } from 'nestjs-otel';
import request from 'supertest';
import { MetricsService, ObservabilityTestingModule, TestSpans } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';
import { ShopModule } from '../fixtures/otel-metrics.app';
import { PromSample, promtool, startPrometheus } from '../support/prometheus-server';
import { startTestMeterProvider, TestMeterProvider } from '../support/test-meter-provider';

const OPEN_METRICS = 'application/openmetrics-text; version=1.0.0';

// One MeterProvider for the whole file, registered before any app exists (the documented order): nestjs-otel
// caches its instruments for the process, so a provider per test would leave later tests with stale ones.
let sdk: TestMeterProvider;
beforeAll(() => (sdk = startTestMeterProvider('shop')));
afterAll(() => sdk.stop());

describe.each(PLATFORMS)('OpenTelemetry-API metrics on /metrics, %s', (platform) => {
  let app: INestApplication;
  let spans: TestSpans;
  beforeAll(async () => {
    app = await createTestApp(platform, {
      imports: [ObservabilityTestingModule.forRoot({ metrics: { defaultLabels: { service: 'shop' } } }), OpenTelemetryModule.forRoot(), ShopModule],
    });
    spans = app.get(TestSpans);
    // nestjs-otel traces through the global TracerProvider: make it the one the module's spans go to.
    trace.setGlobalTracerProvider(spans.provider as unknown as TracerProvider);
  });
  afterAll(async () => {
    trace.disable();
    await app.close();
  });

  it('renders OpenTelemetry-API and nestjs-otel instruments beside the prom-client ones, promtool-clean', async () => {
    const server = app.getHttpServer();
    for (let i = 0; i < 3; i++) await request(server).get(`/shop/orders/${platform}`).expect(200);
    const text = (await request(server).get('/metrics').expect(200)).text;
    const scope = { platform, otel_scope_name: 'shop', otel_scope_version: '1.0.0' };
    expect(sampleValue(text, 'orders_placed_total', scope)).toBe(3);
    expect(sampleValue(text, 'checkout_duration_seconds_count', scope)).toBe(3);
    expect(sampleValue(text, 'checkout_duration_seconds_bucket', { ...scope, le: '0.05' })).toBe(3);
    expect(sampleValue(text, 'checkout_duration_seconds_bucket', { ...scope, le: '0.01' })).toBe(0);
    const nestjsOtel = { platform, otel_scope_name: 'nestjs-otel' };
    expect(sampleValue(text, 'shop_payments_total', nestjsOtel)).toBe(3);
    expect(sampleValue(text, 'shop_basket_size_count', nestjsOtel)).toBe(3);
    expect(sampleValue(text, 'shop_carts_open', nestjsOtel)).toBe(3);
    expect(text).toMatch(/^# TYPE shop_carts_open gauge$/m);
    // nestjs-otel's method-counter decorator (its counters are process-wide: both platforms count here).
    expect(sampleValue(text, 'checkout_pay_calls_total', { otel_scope_name: 'nestjs-otel' })).toBeGreaterThanOrEqual(3);
    expect(sampleValue(text, 'target_info', { service_name: 'shop' })).toBe(1);
    // The module's own metrics are still there, with their default labels.
    expect(sampleValue(text, 'http_server_request_duration_seconds_count', { http_route: '/shop/orders/:platform', service: 'shop' })).toBe(3);
    const { status, output } = promtool(['check', 'metrics'], text);
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('serves the same in OpenMetrics: counter families without _total, one # EOF at the end', async () => {
    await request(app.getHttpServer()).get(`/shop/orders/${platform}`).expect(200);
    const res = await request(app.getHttpServer()).get('/metrics').set('Accept', OPEN_METRICS).expect(200);
    const text = res.text;
    expect(res.headers['content-type']).toContain('application/openmetrics-text');
    expect(text).toMatch(/^# TYPE orders_placed counter$/m);
    expect(text).toMatch(/^orders_placed_total\{.*platform="[a-z]+".*\} \d+$/m);
    expect(text).toMatch(/^# UNIT checkout_duration_seconds seconds$/m);
    // §4: the module's histograms keep their exemplars with OpenTelemetry series beside them.
    expect(text).toMatch(/^http_server_request_duration_seconds_bucket\{[^}]*http_route="\/shop\/orders\/:platform"[^}]*\} \d+ # \{[^}]*trace_id="[0-9a-f]{32}"/m);
    expect(text.match(/^# EOF$/gm)).toHaveLength(1);
    expect(text.endsWith('# EOF\n')).toBe(true);
    // Each OpenTelemetry family once, no comment OpenMetrics does not know.
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    for (const family of ['target_info', 'orders_placed', 'checkout_duration_seconds', 'shop_payments', 'shop_basket_size', 'shop_carts_open', 'checkout_pay_calls']) {
      expect(families.filter((f) => f === family)).toEqual([family]);
    }
    expect(text.split('\n').filter((l) => l.startsWith('#') && !/^# (HELP|TYPE|UNIT|EOF)/.test(l))).toEqual([]);
  });

  it("nests nestjs-otel @Span() and TraceService spans under the module's server span, in one trace", async () => {
    spans.reset();
    await request(app.getHttpServer()).get(`/shop/orders/${platform}`).expect(200);
    const all = await spans.waitFor(3);
    const server = all.find((s) => s.name === 'GET /shop/orders/:platform')!;
    const priced = all.find((s) => s.name === 'CheckoutService.price')!;
    const lookup = all.find((s) => s.name === 'price.lookup')!;
    expect(server).toBeDefined();
    expect(priced.spanContext().traceId).toBe(server.spanContext().traceId);
    expect(spans.parentId(priced)).toBe(server.spanContext().spanId);
    expect(spans.parentId(lookup)).toBe(priced.spanContext().spanId);
  });
});

describe('a real Prometheus scraping both halves (it negotiates OpenMetrics and parses it strictly)', () => {
  it('takes the scrape (target up, no parse error) and stores the OpenTelemetry series under their Prometheus names', async () => {
    const app = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot(), OpenTelemetryModule.forRoot(), ShopModule] });
    await app.listen(0, '127.0.0.1');
    const port = (app.getHttpServer().address() as { port: number }).port;
    const prometheus = await startPrometheus(`global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: shop\n    static_configs:\n      - targets: ['127.0.0.1:${port}']\n`);
    try {
      await request(app.getHttpServer()).get('/shop/orders/prometheus').expect(200);
      const series = await prometheus.waitFor('orders_placed_total in Prometheus', async () => {
        const answer = await prometheus.query('orders_placed_total{platform="prometheus"}');
        return (answer.data.result as PromSample[])[0];
      });
      expect(series.metric).toMatchObject({ job: 'shop', otel_scope_name: 'shop', platform: 'prometheus' });
      const targets = await prometheus.api<{ activeTargets: Array<{ health: string; lastError: string }> }>('/api/v1/targets');
      expect(targets.data.activeTargets.map((t) => [t.health, t.lastError])).toEqual([['up', '']]);
      for (const name of ['checkout_duration_seconds_bucket', 'shop_payments_total', 'shop_carts_open', 'target_info', 'http_server_request_duration_seconds_bucket']) {
        expect(((await prometheus.query(name)).data.result as PromSample[]).length).toBeGreaterThan(0);
      }
    } finally {
      await prometheus.stop();
      await app.close();
    }
  }, 60_000);
});

describe('a name that clashes with a prom-client metric', () => {
  it('keeps the prom-client metric, leaves the OpenTelemetry one out, logs once, counts the clash', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const app = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot()] });
    try {
      app.get(MetricsService).counter({ name: 'refunds_total', help: 'Refunds (prom-client)' }).inc(7);
      metrics.getMeter('shop').createCounter('refunds', { description: 'Refunds (OpenTelemetry)' }).add(2);
      const first = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
      const second = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
      expect(second).toContain('# HELP refunds_total Refunds (prom-client)');
      expect(second).not.toContain('Refunds (OpenTelemetry)');
      expect(sampleValue(second, 'refunds_total')).toBe(7);
      expect(sampleValue(second, 'otel_metric_name_clashes_total', { metric: 'refunds_total' })).toBe(2);
      expect(promtool(['check', 'metrics'], first)).toEqual({ status: 0, output: '' });
      const clashLogs = errors.mock.calls.filter(([message]) => String(message).includes('"refunds_total"'));
      expect(clashLogs).toHaveLength(1);
    } finally {
      errors.mockRestore();
      await app.close();
    }
  });
});
