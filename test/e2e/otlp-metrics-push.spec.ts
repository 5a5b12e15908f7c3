import { metrics } from '@opentelemetry/api';
import request from 'supertest';
import { ObservabilityModule, startObservabilitySdk } from '../../lib';
import { createTestApp, parseSamples, PLATFORMS, sampleValue } from '../fixtures/create-test-app';
import { OrdersModule } from '../fixtures/orders.app';
import { captureLogger } from '../support/capture-logger';
import { OtlpReceiver, ReceivedMetric, startOtlpReceiver } from '../support/otlp-receiver';
import { unreachableCollectors, useSdkTestScope, watchUnhandledRejections } from '../support/sdk-test-scope';

// These tests start the real, process-wide SDK; each one stops it again.
const OTEL_ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_METRICS_EXPORTER', 'OTEL_METRIC_EXPORT_INTERVAL', 'OTEL_TRACES_EXPORTER'];
const AGGREGATION_TEMPORALITY_CUMULATIVE = 2;

/** Canonical `name{a="1",b="2"}` (labels sorted), so that /metrics lines and pushed points compare. */
function series(name: string, labels: Record<string, unknown>): string {
  const body = Object.entries(labels)
    .map(([k, v]) => [k, String(v)])
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return body ? `${name}{${body}}` : name;
}

function canonical(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [line, value] of parseSamples(text)) {
    const i = line.indexOf('{');
    const labels: Record<string, string> = {};
    if (i >= 0) for (const m of line.slice(i + 1, -1).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[m[1]] = m[2];
    out.set(series(i >= 0 ? line.slice(0, i) : line, labels), value);
  }
  return out;
}

/** The Prometheus samples a pushed metric stands for (what /metrics would show for it). */
function asPrometheusSamples(metric: ReceivedMetric): Map<string, number> {
  const out = new Map<string, number>();
  for (const p of metric.points) {
    if (metric.type === 'histogram') {
      let acc = 0;
      p.bucketCounts!.forEach((c, i) => {
        acc += c;
        out.set(series(`${metric.name}_bucket`, { ...p.attributes, le: i < p.explicitBounds!.length ? String(p.explicitBounds![i]) : '+Inf' }), acc);
      });
      out.set(series(`${metric.name}_sum`, p.attributes), p.sum!);
      out.set(series(`${metric.name}_count`, p.attributes), p.count!);
    } else {
      const name = metric.type === 'sum' && metric.isMonotonic && !metric.name.endsWith('_total') ? `${metric.name}_total` : metric.name;
      out.set(series(name, p.attributes), p.value!);
    }
  }
  return out;
}

/** The metrics of the latest request that carried the module's scope. */
function lastPush(receiver: OtlpReceiver, scope = 'nestjs-observability'): ReceivedMetric[] {
  const last = Math.max(...receiver.metrics.filter((m) => m.scope === scope).map((m) => m.request));
  return receiver.metrics.filter((m) => m.request === last);
}

describe('OTLP push of every metric', () => {
  const ctx = useSdkTestScope(OTEL_ENV);

  beforeEach(() => {
    process.env.OTEL_TRACES_EXPORTER = 'none';
  });

  it.each(PLATFORMS)('pushes the HTTP histogram, @Counted/@Timed, custom and OpenTelemetry-API metrics with the values /metrics shows (%s)', async (platform) => {
    ctx.receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ctx.receiver.endpoint;
    process.env.OTEL_METRICS_EXPORTER = 'otlp';
    ctx.sdk = startObservabilitySdk({ serviceName: 'orders', serviceVersion: '2.0.0' });
    expect(ctx.sdk.metricsDestination).toBe(`OTLP/HTTP protobuf at ${ctx.receiver.metricsUrl}`);
    const placed = metrics.getMeter('shop').createCounter('orders.placed', { unit: '{order}' });
    ctx.app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot({ metrics: { defaultLabels: { app: 'shop' } } }), OrdersModule] });
    const server = ctx.app.getHttpServer();
    for (const id of ['1', '2', '3']) await request(server).get(`/orders/${id}`).expect(200);
    await request(server).get('/orders/missing').expect(404);
    await request(server).post('/orders').expect(201);
    placed.add(2, { channel: 'web' });
    placed.add(1, { channel: 'app' });

    await ctx.sdk.forceFlush();
    const first = lastPush(ctx.receiver);
    const text = (await request(server).get('/metrics')).text;
    const scraped = canonical(text);

    // Every counter and histogram of the module's Registry arrives with exactly the /metrics values
    // (process_ and nodejs_ families move between two reads, so they are checked for presence only).
    const ours = first.filter((m) => m.scope === 'nestjs-observability');
    const stable = ours.filter((m) => (m.type === 'histogram' || m.type === 'sum') && !/^(process_|nodejs_|otel_sdk_)/.test(m.name));
    const names = stable.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['http_server_request_duration_seconds', 'orders_created', 'orders_service_find_sync', 'orders_service_find_sync_seconds', 'orders_controller_create']));
    for (const metric of stable) {
      for (const [key, value] of asPrometheusSamples(metric)) expect([key, scraped.get(key)]).toEqual([key, value]);
    }
    const http = stable.find((m) => m.name === 'http_server_request_duration_seconds')!;
    expect(http.unit).toBe('s');
    expect(http.aggregationTemporality).toBe(AGGREGATION_TEMPORALITY_CUMULATIVE);
    const route = http.points.find((p) => p.attributes.http_route === '/orders/:id' && p.attributes.http_response_status_code === '200')!;
    expect(route).toMatchObject({ count: 3, attributes: { app: 'shop', http_request_method: 'GET' } });
    expect(route.bucketCounts!.reduce((a, b) => a + b, 0)).toBe(3);
    expect(ours.map((m) => m.name)).toEqual(expect.arrayContaining(['process_cpu_seconds', 'nodejs_heap_size_total_bytes']));
    expect(ours.map((m) => m.name).filter((n, i, all) => all.indexOf(n) !== i)).toEqual([]); // each metric once

    // The OpenTelemetry-API counter, in its own scope, and the resource.
    const shop = first.find((m) => m.name === 'orders.placed')!;
    expect(shop).toMatchObject({ scope: 'shop', type: 'sum', isMonotonic: true, unit: '{order}', aggregationTemporality: AGGREGATION_TEMPORALITY_CUMULATIVE });
    expect(Object.fromEntries(shop.points.map((p) => [p.attributes.channel, p.value]))).toEqual({ web: 2, app: 1 });
    expect(http.resource).toMatchObject({ 'service.name': 'orders', 'service.version': '2.0.0' });
    expect(shop.resource['service.name']).toBe('orders');

    // Pull and push together: /metrics renders the OpenTelemetry-API counter too, and every family once.
    expect(sampleValue(text, 'orders_placed_total', { channel: 'web' })).toBe(2);
    expect(sampleValue(text, 'orders_placed_total', { channel: 'app' })).toBe(1);
    const families = text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    expect(families.filter((f, i) => families.indexOf(f) !== i)).toEqual([]);
    expect(first.filter((m) => m.name === 'orders.placed')).toHaveLength(1);
    expect(first.filter((m) => m.name.startsWith('orders_placed'))).toEqual([]);

    // Cumulative: a later push keeps the start times and adds up.
    await request(server).get('/orders/4').expect(200);
    await ctx.sdk.forceFlush();
    const second = lastPush(ctx.receiver).find((m) => m.name === 'http_server_request_duration_seconds')!;
    const again = second.points.find((p) => p.attributes.http_route === '/orders/:id' && p.attributes.http_response_status_code === '200')!;
    expect(again.count).toBe(4);
    expect(again.startTimeUnixNano).toBe(route.startTimeUnixNano);
    expect(again.startTimeUnixNano).toBeLessThan(route.timeUnixNano);
    expect(again.timeUnixNano).toBeGreaterThan(route.timeUnixNano);
  });

  it('pushes with /metrics switched off (metrics.path: false), and nothing when push is not asked for', async () => {
    ctx.receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ctx.receiver.endpoint;
    ctx.sdk = startObservabilitySdk({ metrics: { exporter: 'otlp', exportIntervalMillis: 60_000 } });
    ctx.app = await createTestApp('fastify', { imports: [ObservabilityModule.forRoot({ metrics: { path: false } }), OrdersModule] });
    await request(ctx.app.getHttpServer()).get('/orders/1').expect(200);
    await request(ctx.app.getHttpServer()).get('/metrics').expect(404);
    await ctx.sdk.forceFlush();
    const http = lastPush(ctx.receiver).find((m) => m.name === 'http_server_request_duration_seconds')!;
    expect(http.points.map((p) => p.count)).toEqual([1]);
    await ctx.app.close();
    await ctx.sdk.shutdown();
    ctx.app = ctx.sdk = undefined;

    // Without OTEL_METRICS_EXPORTER=otlp (or the option) nothing is pushed.
    const requests = ctx.receiver.metricRequests;
    ctx.sdk = startObservabilitySdk({ exporter: 'none' });
    expect(ctx.sdk.metricsDestination).toBeNull();
    ctx.app = await createTestApp('express', { imports: [ObservabilityModule.forRoot(), OrdersModule] });
    await request(ctx.app.getHttpServer()).get('/orders/1').expect(200);
    await ctx.sdk.forceFlush();
    expect(ctx.receiver.metricRequests).toBe(requests);
  });

  it('pushes the Registry of each of two apps in one process, told apart by their default labels', async () => {
    ctx.receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ctx.receiver.endpoint;
    ctx.sdk = startObservabilitySdk({ exporter: 'none', metrics: { exporter: 'otlp', exportIntervalMillis: 60_000 } });
    const appFor = (name: string) => createTestApp('express', { imports: [ObservabilityModule.forRoot({ metrics: { defaultLabels: { app: name } } }), OrdersModule] });
    ctx.app = await appFor('a');
    const other = await appFor('b');
    try {
      await request(ctx.app.getHttpServer()).get('/orders/1').expect(200);
      for (let i = 0; i < 2; i++) await request(other.getHttpServer()).get('/orders/1').expect(200);
      await ctx.sdk.forceFlush();
      const http = lastPush(ctx.receiver).filter((m) => m.name === 'http_server_request_duration_seconds');
      expect(http).toHaveLength(2);
      const counts = Object.fromEntries(http.flatMap((m) => m.points).map((p) => [p.attributes.app, p.count]));
      expect(counts).toEqual({ a: 1, b: 2 });
    } finally {
      await other.close();
    }
  });

  it.each([
    ['tracing on', {}],
    ['tracing off', { tracing: false as const }],
  ])('pushes the last values when the app stops, then forgets its Registry (%s)', async (_case, moduleOptions) => {
    ctx.receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ctx.receiver.endpoint;
    ctx.sdk = startObservabilitySdk({ exporter: 'none', metrics: { exporter: 'otlp', exportIntervalMillis: 60_000 } });
    ctx.app = await createTestApp('express', { imports: [ObservabilityModule.forRoot(moduleOptions), OrdersModule] });
    await request(ctx.app.getHttpServer()).get('/orders/1').expect(200);
    await ctx.app.close(); // flushes the SDK: the push carries the request
    ctx.app = undefined;
    const http = lastPush(ctx.receiver).find((m) => m.name === 'http_server_request_duration_seconds')!;
    expect(http.points.map((p) => p.count)).toEqual([1]);
    const carrying = () => new Set(ctx.receiver!.metrics.filter((m) => m.scope === 'nestjs-observability').map((m) => m.request)).size;
    const before = carrying();
    await ctx.sdk.forceFlush();
    await ctx.sdk.forceFlush();
    expect(carrying()).toBe(before);
  });

  it.each(unreachableCollectors(ctx, { refused: /ECONNREFUSED/, hanging: /timed out|timeout/i }))('counts lost points, keeps requests and memory bounded, and says so once when the Collector is unreachable: %s', async (_case, endpoint, reason) => {
    const base = await endpoint();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = base;
    process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '150';
    const unhandled = watchUnhandledRejections();
    try {
      const logs = captureLogger();
      ctx.sdk = startObservabilitySdk({ exporter: 'none', logger: logs, metrics: { exporter: 'otlp', exportIntervalMillis: 100, exportTimeoutMillis: 100 } });
      ctx.app = await createTestApp('express', { imports: [ObservabilityModule.forRoot(), OrdersModule] });
      const started = Date.now();
      while (Date.now() - started < 1200) {
        await request(ctx.app.getHttpServer()).get('/orders/1').expect(200);
        await new Promise((r) => setTimeout(r, 20));
      }
      await new Promise((r) => setTimeout(r, 300));
      expect(ctx.sdk.metricStats.failedExports).toBeGreaterThanOrEqual(3);
      expect(ctx.sdk.metricStats.failed).toBeGreaterThan(0);
      expect(ctx.sdk.metricStats.exported).toBe(0);
      // One attempt per interval at most: nothing piles up behind a hanging Collector.
      if (ctx.receiver) expect(ctx.receiver.requests).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 100) + 1);
      const text = (await request(ctx.app.getHttpServer()).get('/metrics')).text;
      expect(parseSamples(text).get('otel_sdk_metric_points_export_failed_total')).toBeGreaterThan(0);
      expect(logs.warnings).toHaveLength(1);
      expect(logs.warnings[0]).toContain(`Exporting metrics to ${base}/v1/metrics failed: `);
      expect(logs.warnings[0]).toMatch(reason);
      expect(unhandled.rejections).toEqual([]);
      if (ctx.receiver) {
        ctx.receiver.setMode('ok');
        await new Promise((r) => setTimeout(r, 400));
        expect(logs.infos).toEqual([expect.stringContaining(`Exporting metrics to ${base}/v1/metrics works again`)]);
        expect(ctx.sdk.metricStats.exported).toBeGreaterThan(0);
      }
    } finally {
      unhandled.stop();
    }
  });
});
