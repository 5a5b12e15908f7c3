import { Logger } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { Registry } from 'prom-client';
import { resolveObservabilityOptions } from '../../lib/observability-options.resolver';
import { CallbackMetric } from '../../lib/metrics/callback.metric';
import { OpenTelemetryMetricsSource } from '../../lib/metrics/otel/open-telemetry-metrics.source';
import { prometheusUnit, nameWithUnit } from '../../lib/metrics/otel/prometheus-unit';
import { MetricsService, ObservabilityMetricReader } from '../../lib';
import { startTestMeterProvider, TestMeterProvider } from '../support/test-meter-provider';

function source(registry = new Registry(), openTelemetry: object = {}): { source: OpenTelemetryMetricsSource; registered: CallbackMetric[] } {
  const registered: CallbackMetric[] = [];
  const options = resolveObservabilityOptions({ metrics: { openTelemetry } }).metrics.openTelemetry;
  return { source: new OpenTelemetryMetricsSource(options, registry, (m) => { registered.push(m); registry.registerMetric(m as any); }), registered };
}

describe('OpenTelemetry-API metrics source', () => {
  let sdk: TestMeterProvider;
  beforeEach(() => (sdk = startTestMeterProvider()));
  afterEach(() => sdk.stop());

  it('renders the global provider through PrometheusSerializer, with unit suffixes, target_info and scope labels', async () => {
    const meter = metrics.getMeter('shop', '1.2.0');
    meter.createCounter('orders.placed', { unit: '{order}', description: 'Orders placed' }).add(3, { channel: 'web' });
    meter.createHistogram('checkout.duration', { unit: 's', description: 'Checkout time' }).record(0.2);
    meter.createUpDownCounter('cart.items', { unit: '{item}' }).add(-2);
    const text = await source().source.render('prometheus');
    expect(text).toContain('# TYPE orders_placed_total counter\n');
    expect(text).toContain('orders_placed_total{channel="web",otel_scope_name="shop",otel_scope_version="1.2.0"} 3\n');
    expect(text).toContain('# UNIT checkout_duration_seconds seconds\n# TYPE checkout_duration_seconds histogram\n');
    expect(text).toMatch(/checkout_duration_seconds_count\{otel_scope_name="shop",otel_scope_version="1.2.0"\} 1\n/);
    expect(text).toContain('# TYPE cart_items gauge\n');
    expect(text).toContain('target_info{');
    expect(text).toContain('service_name="shop-test"');
    expect(text).not.toContain('# no registered metrics');
  });

  it('drops the serializer\'s "# no registered metrics" comment when no instrument was created (it broke Prometheus\' OpenMetrics parser)', async () => {
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const text = await source().source.render(format);
      expect(text).not.toContain('# no registered metrics');
      expect(text.split('\n').filter((line) => line.startsWith('#') && !/^# (HELP|TYPE|UNIT|EOF)( |$)/.test(line))).toEqual([]);
    }
  });

  it('writes OpenMetrics counter families without _total, and quotes escaped in HELP', async () => {
    metrics.getMeter('shop').createCounter('orders.placed', { description: 'Orders "placed"' }).add(1);
    const text = await source().source.render('openmetrics');
    expect(text).toContain('# HELP orders_placed Orders \\"placed\\"\n');
    expect(text).toContain('# TYPE orders_placed counter\n');
    expect(text).toMatch(/^orders_placed_total\{/m);
    expect(text).not.toContain('# EOF');
  });

  it('writes no comment line when the provider has no instruments yet: only target_info (valid OpenMetrics)', async () => {
    for (const format of ['prometheus', 'openmetrics'] as const) {
      const text = await source().source.render(format);
      expect(text).toContain('target_info{');
      expect(text.split('\n').filter((line) => line.startsWith('#') && !/^# (HELP|TYPE|UNIT) /.test(line))).toEqual([]);
    }
  });

  it('renders nothing without a reader, and nothing when switched off', async () => {
    await sdk.stop();
    sdk = startTestMeterProvider('x', false);
    expect(await source().source.render('prometheus')).toBe('');
    expect(await source(new Registry(), { reader: sdk.reader, globalProvider: false }).source.render('prometheus')).toContain('target_info');
    const off = resolveObservabilityOptions({ metrics: { openTelemetry: false } }).metrics.openTelemetry;
    expect(off.enabled).toBe(false);
  });

  it('keeps the prom-client metric on a name clash, drops the OTel family, counts the clash', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const registry = new Registry();
    new (require('prom-client').Counter)({ name: 'orders_placed_total', help: 'prom-client orders', registers: [registry] });
    metrics.getMeter('shop').createCounter('orders.placed').add(5);
    metrics.getMeter('shop').createHistogram('payment.latency', { unit: 's' }).record(1);
    const { source: s, registered } = source(registry);
    const text = await s.render('prometheus');
    expect(text).not.toContain('orders_placed_total');
    expect(text).toContain('payment_latency_seconds_bucket');
    await s.render('prometheus');
    expect(registered.map((m) => m.name)).toEqual(['otel_metric_name_clashes_total']);
    expect(await registered[0].get()).toMatchObject({ values: [{ labels: { metric: 'orders_placed_total' }, value: 2 }] });
    expect(errors).toHaveBeenCalledTimes(1);
    errors.mockRestore();
  });

  it("leaves the OpenTelemetry half out of a metrics.cluster scrape (one worker's values are not the sum), warning once", async () => {
    const errors = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const service = new MetricsService(resolveObservabilityOptions({ metrics: { defaultMetrics: false } }));
    metrics.getMeter('shop').createCounter('orders.placed').add(1);
    expect(await service.render('prometheus')).toContain('orders_placed_total');
    const merged = new Registry();
    service.useSource({ collect: async () => merged });
    expect(await service.render('prometheus')).toBe('');
    await service.render('openmetrics');
    expect(errors.mock.calls.filter(([m]) => String(m).includes('metrics.cluster'))).toHaveLength(1);
    errors.mockRestore();
  });

  it('finds the reader through the well-known symbol on the provider', () => {
    expect(ObservabilityMetricReader.attachedTo(sdk.provider)).toBe(sdk.reader);
    expect((sdk.provider as any)[Symbol.for('nestjs-observability.metric-reader')]).toBe(sdk.reader);
    expect(ObservabilityMetricReader.attachedTo(metrics.getMeterProvider())).toBe(sdk.reader);
  });
});

describe('OpenTelemetry unit rules', () => {
  it.each([
    ['s', false, 'seconds'],
    ['ms', false, 'milliseconds'],
    ['By', false, 'bytes'],
    ['By/s', false, 'bytes_per_second'],
    ['{order}', false, ''],
    ['{request}/s', false, 'per_second'],
    ['1', true, 'ratio'],
    ['1', false, ''],
    ['', false, ''],
  ])('%s (gauge: %s) -> %s', (unit, gauge, word) => expect(prometheusUnit(unit, gauge)).toBe(word));

  it('appends the unit unless the name ends with it', () => {
    expect(nameWithUnit('http.server.duration', 'seconds')).toBe('http.server.duration_seconds');
    expect(nameWithUnit('job.duration.seconds', 'seconds')).toBe('job.duration.seconds');
    expect(nameWithUnit('orders.placed', '')).toBe('orders.placed');
  });
});

describe('metrics.openTelemetry options', () => {
  it('rejects what is not a reader or a boolean, naming the option', () => {
    expect(() => resolveObservabilityOptions({ metrics: { openTelemetry: { reader: {} as any } } })).toThrow('metrics.openTelemetry.reader');
    expect(() => resolveObservabilityOptions({ metrics: { openTelemetry: { scopeLabels: 'no' as any } } })).toThrow('metrics.openTelemetry.scopeLabels');
    expect(() => resolveObservabilityOptions({ metrics: { openTelemetry: { exporter: 1 } as any } })).toThrow('Unknown option "metrics.openTelemetry.exporter"');
  });
});
