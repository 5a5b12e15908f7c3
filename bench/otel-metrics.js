'use strict';
/**
 * OpenTelemetry-API metrics on the module's /metrics (issue 10 §1, §2), in one run:
 *
 * 1. Render time with 1,000 OpenTelemetry-API series (data points) beside ~1,000 prom-client sample lines:
 *    the module's OpenTelemetry half (ObservabilityMetricReader + PrometheusSerializer + unit and clash rules) and
 *    its whole /metrics (both formats), against @opentelemetry/exporter-prometheus's own PrometheusExporter
 *    request handler (collect + serialize) on the same MeterProvider, same series.
 * 2. Per-call cost of the module's @Counted() against nestjs-otel's @OtelMethodCounter() on the same method.
 *
 *   npm run bench:otel             # builds dist/ first
 *   npm run bench:otel -- --quick  # fewer rounds, for checking the harness only
 */
require('reflect-metadata');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { metrics } = require('@opentelemetry/api');
const { MeterProvider } = require('@opentelemetry/sdk-metrics');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { PrometheusExporter } = require('@opentelemetry/exporter-prometheus');
const { OtelMethodCounter } = require('nestjs-otel');
const { Counted, MetricsService, ObservabilityMetricReader, ObservabilityModule, renderRegistry } = require('../dist');
const { decorateMethod } = require('./lib/decorate');
const { populate, sampleLines } = require('./lib/series');
const { median, mad, roundOrder, medianDifference, medianRatio } = require('./lib/stats');
const { makeCallLoop, timeMs, workClasses } = require('./lib/timing');

const quick = process.argv.slice(2).includes('--quick');
const RENDER_ROUNDS = quick ? 7 : 41;
const CALL_ROUNDS = quick ? 3 : 9;
const CALLS = quick ? 200_000 : 1_000_000;
const WARMUP = 3;
const OTEL_SERIES = { counter: 600, upDownCounter: 300, histogram: 100 };

const { PlainService, CountedService, NestjsOtelCountedService } = workClasses('PlainService', 'CountedService', 'NestjsOtelCountedService');
decorateMethod(CountedService, 'work', [Counted()]);
decorateMethod(NestjsOtelCountedService, 'work', [OtelMethodCounter({ name: 'bench.nestjs_otel.work.calls' })]);
for (const p of [PlainService, CountedService, NestjsOtelCountedService]) Reflect.decorate([Injectable()], p);

class BenchModule {}
Reflect.decorate(
  [Module({ imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false, http: false }, health: false })], providers: [PlainService, CountedService, NestjsOtelCountedService] })],
  BenchModule,
);

/** 1,000 OpenTelemetry-API data points: counters, up-down counters and explicit-bucket histograms. */
function recordOtelSeries() {
  const meter = metrics.getMeter('bench', '1.0.0');
  const orders = meter.createCounter('bench.orders', { unit: '{order}', description: 'Orders placed' });
  const carts = meter.createUpDownCounter('bench.carts.open', { description: 'Open carts' });
  const latency = meter.createHistogram('bench.checkout.duration', { unit: 's', description: 'Checkout time', advice: { explicitBucketBoundaries: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] } });
  for (let i = 0; i < OTEL_SERIES.counter; i++) orders.add((i % 13) + 1, { channel: `channel_${i % 6}`, item: `item_${Math.floor(i / 6)}` });
  for (let i = 0; i < OTEL_SERIES.upDownCounter; i++) carts.add((i % 7) - 3, { shard: `shard_${i}` });
  for (let i = 0; i < OTEL_SERIES.histogram; i++) for (let k = 0; k < 5; k++) latency.record(((i + k) % 40) / 7, { route: `/api/v1/resource${i}/:id` });
}

/** PrometheusExporter's own /metrics handler, answering into a response object that resolves with the body. */
function exporterScrape(exporter) {
  return new Promise((resolve) => exporter.getMetricsRequestHandler({}, { statusCode: 0, setHeader() {}, end: resolve }));
}

async function renderBench(service, exporter) {
  const variants = [
    { id: 'exporter', label: 'PrometheusExporter handler (collect + serialize), OTel series only', run: () => exporterScrape(exporter) },
    { id: 'otel', label: "module's OTel half: reader.collect + PrometheusSerializer + rules", run: () => service.openTelemetry.render('prometheus') },
    { id: 'registry', label: "module's prom-client half: renderRegistry(registry)", run: () => renderRegistry(service.registry, 'prometheus') },
    { id: 'all.prometheus', label: 'module /metrics, both halves, Prometheus text', run: () => service.render('prometheus') },
    { id: 'all.openmetrics', label: 'module /metrics, both halves, OpenMetrics', run: () => service.render('openmetrics') },
  ];
  for (const v of variants) v.samples = [];
  const lines = {};
  for (const v of variants) lines[v.id] = sampleLines((await timeMs(v.run)).result);
  for (let w = 0; w < WARMUP; w++) for (const v of variants) await timeMs(v.run);
  for (let r = 0; r < RENDER_ROUNDS; r++) for (const v of roundOrder(variants, r)) v.samples.push((await timeMs(v.run)).ms);
  const base = variants[0];
  return variants.map((v) => ({
    id: v.id,
    label: v.label,
    sampleLines: lines[v.id],
    ms: median(v.samples),
    madMs: mad(v.samples),
    ratioToExporter: v === base ? 1 : medianRatio(v.samples, base.samples),
  }));
}

async function callBench(app) {
  const variants = [
    { id: 'plain', label: 'plain method', target: app.get(PlainService) },
    { id: 'counted', label: "module's @Counted()", target: app.get(CountedService), baseline: 'plain' },
    { id: 'nestjs-otel', label: "nestjs-otel's @OtelMethodCounter()", target: app.get(NestjsOtelCountedService), baseline: 'plain' },
  ];
  let sink = 0;
  const once = (v) => {
    const start = process.hrtime.bigint();
    sink = (sink + v.loop(v.target, CALLS)) | 0;
    return Number(process.hrtime.bigint() - start) / CALLS;
  };
  for (const v of variants) {
    v.loop = makeCallLoop(v.id);
    v.samples = [];
  }
  for (let w = 0; w < 2; w++) for (const v of variants) once(v);
  for (let r = 0; r < CALL_ROUNDS; r++) for (const v of roundOrder(variants, r)) v.samples.push(once(v));
  const byId = Object.fromEntries(variants.map((v) => [v.id, v]));
  return {
    sink,
    rows: variants.map((v) => ({
      id: v.id,
      label: v.label,
      nsPerCall: median(v.samples),
      madNs: mad(v.samples),
      overheadNs: v.baseline ? medianDifference(v.samples, byId[v.baseline].samples) : undefined,
    })),
  };
}

const fmt = (n, digits = 1) => (n === undefined ? '' : n.toFixed(digits));

async function main() {
  // The SDK first, as documented: one MeterProvider with the module's reader and PrometheusExporter's.
  const reader = new ObservabilityMetricReader();
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = reader.attachTo(new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'bench' }), readers: [reader, exporter] }));
  metrics.setGlobalMeterProvider(provider);

  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  await app.init();
  const service = app.get(MetricsService);
  populate(service, 1_000);
  recordOtelSeries();

  const render = await renderBench(service, exporter);
  const calls = await callBench(app);

  // Sanity: both decorators counted every call, on the same /metrics.
  const text = await service.render('prometheus');
  const expected = (2 + CALL_ROUNDS) * CALLS;
  for (const name of ['counted_service_work_total', 'bench_nestjs_otel_work_calls_total']) {
    const line = text.split('\n').find((l) => l.startsWith(name));
    if (!line || Number(line.slice(line.lastIndexOf(' ') + 1)) !== expected) throw new Error(`${name}: expected ${expected}, got ${line}`);
  }

  const md = [
    `**OpenTelemetry-API series on /metrics** (${OTEL_SERIES.counter} counter + ${OTEL_SERIES.upDownCounter} up-down counter + ${OTEL_SERIES.histogram} histogram data points, ` +
      `beside ~1,000 prom-client sample lines; median of ${RENDER_ROUNDS} interleaved rounds, ratio = median of per-round ratios)`,
    '',
    '| Renderer | Sample lines | ms (median) | ± MAD | Ratio to PrometheusExporter |',
    '|---|---:|---:|---:|---:|',
    ...render.map((r) => `| ${r.label} | ${r.sampleLines} | ${fmt(r.ms, 2)} | ${fmt(r.madMs, 2)} | ${fmt(r.ratioToExporter, 2)}× |`),
    '',
    `**Per-call cost: @Counted() vs nestjs-otel @OtelMethodCounter()** (sync method, ${CALLS.toLocaleString('en-US')} calls × ${CALL_ROUNDS} interleaved rounds, same process and MeterProvider)`,
    '',
    '| Variant | ns/call (median) | ± MAD | Overhead vs plain (ns) |',
    '|---|---:|---:|---:|',
    ...calls.rows.map((r) => `| ${r.label} | ${fmt(r.nsPerCall)} | ${fmt(r.madNs)} | ${fmt(r.overheadNs)} |`),
  ].join('\n');
  process.stdout.write(md + '\n');
  await app.close();
  await provider.shutdown();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
