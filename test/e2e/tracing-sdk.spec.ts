import { Injectable, Module } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { readFileSync } from 'node:fs';
import request from 'supertest';
import { getObservabilitySdk, ObservabilityModule, startObservabilitySdk, Traced } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';
import { ItemsModule } from '../fixtures/tracing.app';
import { captureLogger } from '../support/capture-logger';
import { OTLP_SPAN_KIND, startOtlpReceiver } from '../support/otlp-receiver';
import { unreachableCollectors, useSdkTestScope, watchUnhandledRejections } from '../support/sdk-test-scope';

// These tests start the real, process-wide SDK; each one stops it again.
const OTEL_ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TIMEOUT', 'OTEL_TRACES_SAMPLER'];

describe('the SDK bootstrap and OTLP export', () => {
  const ctx = useSdkTestScope(OTEL_ENV);

  it.each(PLATFORMS)('exports the request spans over OTLP/HTTP protobuf with the resource (%s)', async (platform) => {
    ctx.receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ctx.receiver.endpoint;
    ctx.sdk = startObservabilitySdk({ serviceName: 'orders', serviceVersion: '1.2.3', environment: 'test', scheduledDelayMillis: 50 });
    expect(ctx.sdk.destination).toBe(`OTLP/HTTP protobuf at ${ctx.receiver.url}`);
    ctx.app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot(), ItemsModule] });
    await request(ctx.app.getHttpServer()).get('/items/9').set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01').expect(200);
    const spans = await ctx.receiver.waitForSpans(3);
    expect(ctx.receiver.contentTypes[0]).toBe('application/x-protobuf');
    const root = spans.find((s) => s.name === 'GET /items/:id')!;
    const reserve = spans.find((s) => s.name === 'InventoryService.reserve')!;
    const check = spans.find((s) => s.name === 'inventory.check')!;
    expect(root.kind).toBe(OTLP_SPAN_KIND.SPAN_KIND_SERVER);
    expect(root.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(root.parentSpanId).toBe('b7ad6b7169203331');
    expect(reserve.parentSpanId).toBe(root.spanId);
    expect(check.parentSpanId).toBe(reserve.spanId);
    expect(root.attributes).toMatchObject({ 'http.route': '/items/:id', 'http.response.status_code': 200, 'nest.handler': 'get' });
    expect(root.resource).toMatchObject({ 'service.name': 'orders', 'service.version': '1.2.3', 'deployment.environment.name': 'test' });
    expect(root.scope).toBe('nestjs-observability');
    // The counters the module exports as metrics (the receiver decodes before it answers: flush first).
    await ctx.sdk.forceFlush();
    const text = (await request(ctx.app.getHttpServer()).get('/metrics')).text;
    expect(sampleValue(text, 'otel_sdk_spans_exported_total')).toBeGreaterThanOrEqual(3);
    expect(sampleValue(text, 'otel_sdk_spans_dropped_total')).toBe(0);
  });

  it('traces with an SDK started after the app was created', async () => {
    ctx.receiver = await startOtlpReceiver();
    ctx.app = await createTestApp('express', { imports: [ObservabilityModule.forRoot(), ItemsModule] });
    await request(ctx.app.getHttpServer()).get('/items/1').expect(200);
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ctx.receiver.endpoint;
    ctx.sdk = startObservabilitySdk({ scheduledDelayMillis: 20 });
    await request(ctx.app.getHttpServer()).get('/items/2').expect(200);
    const spans = await ctx.receiver.waitForSpans(3);
    expect(spans.map((s) => s.name).sort()).toEqual(['GET /items/:id', 'InventoryService.reserve', 'inventory.check']);
    expect(spans.find((s) => s.name === 'GET /items/:id')!.attributes['url.path']).toBe('/items/2');
  });

  it('flushes pending spans when the app closes', async () => {
    ctx.receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ctx.receiver.endpoint;
    ctx.sdk = startObservabilitySdk({ scheduledDelayMillis: 60_000 });
    ctx.app = await createTestApp('fastify', { imports: [ObservabilityModule.forRoot(), ItemsModule] });
    await request(ctx.app.getHttpServer()).get('/items/4').expect(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(ctx.receiver.spans).toHaveLength(0);
    await ctx.app.close();
    ctx.app = undefined;
    expect(ctx.receiver.spans.map((s) => s.name).sort()).toEqual(['GET /items/:id', 'InventoryService.reserve', 'inventory.check']);
  });

  it.each(unreachableCollectors(ctx, { refused: 'failed', hanging: 'dropped' }))('leaves requests unaffected, counts every lost span, bounds the queue and says so once when the Collector is unreachable: %s', async (_case, endpoint, loss) => {
    const base = await endpoint();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = base;
    process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '300';
    const unhandled = watchUnhandledRejections();
    try {
      const logs = captureLogger();
      ctx.sdk = startObservabilitySdk({ maxQueueSize: 20, maxExportBatchSize: 10, scheduledDelayMillis: 10, exportTimeoutMillis: 500, logger: logs });
      ctx.app = await createTestApp('express', { imports: [ObservabilityModule.forRoot(), ItemsModule] });
      let maxPending = 0;
      for (let i = 0; i < 60; i++) {
        await request(ctx.app.getHttpServer()).get(`/items/${i}`).expect(200);
        maxPending = Math.max(maxPending, ctx.sdk.stats.pending);
      }
      await new Promise((r) => setTimeout(r, 700));
      expect(ctx.sdk.stats.ended).toBe(180);
      expect(maxPending).toBeLessThanOrEqual(20);
      expect(ctx.sdk.stats.pending).toBeLessThanOrEqual(20);
      expect(ctx.sdk.stats.exported).toBe(0);
      expect(ctx.sdk.stats[loss]).toBeGreaterThan(0);
      // What the metrics say: exports may still fail while the scrape runs, so read around it.
      const before = { ...ctx.sdk.stats };
      const text = (await request(ctx.app.getHttpServer()).get('/metrics')).text;
      const after = { ...ctx.sdk.stats };
      expect(sampleValue(text, 'otel_sdk_spans_dropped_total')).toBe(after.dropped);
      expect(sampleValue(text, 'otel_sdk_spans_export_failed_total')).toBeGreaterThanOrEqual(before.failed);
      expect(sampleValue(text, 'otel_sdk_spans_export_failed_total')).toBeLessThanOrEqual(after.failed);
      expect(sampleValue(text, 'otel_sdk_spans_pending')).toBeLessThanOrEqual(20);
      expect(unhandled.rejections).toEqual([]);
      // The first failure is said at once, with the endpoint and the reason; the rest waits for the summary.
      // A full queue is said once too.
      const failures = logs.warnings.filter((w) => !w.startsWith('The span export queue is full'));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toContain(`Exporting spans to ${base}/v1/traces failed: `);
      expect(failures[0]).toMatch(loss === 'failed' ? /ECONNREFUSED/ : /timed out|timeout/i);
      expect(logs.warnings.length - failures.length).toBe(ctx.sdk.stats.dropped > 0 ? 1 : 0);
      expect(logs.infos).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it('says once when export fails and once when it works again', async () => {
    ctx.receiver = await startOtlpReceiver({ mode: 'fail500' });
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ctx.receiver.endpoint;
    const logs = captureLogger();
    ctx.sdk = startObservabilitySdk({ scheduledDelayMillis: 60_000, logger: logs });
    ctx.app = await createTestApp('fastify', { imports: [ObservabilityModule.forRoot(), ItemsModule] });
    for (const round of [1, 2]) {
      await request(ctx.app.getHttpServer()).get(`/items/${round}`).expect(200);
      // Rejects with one Error that names the export's failure (the TracerProvider itself rejects with an array).
      const failure = await ctx.sdk.forceFlush().then(() => null, (error: unknown) => error);
      expect(failure).toBeInstanceOf(Error);
      expect((failure as Error).message).toMatch(/Internal Server Error|500/);
    }
    expect(logs.warnings).toHaveLength(1);
    expect(logs.warnings[0]).toMatch(new RegExp(`^Exporting spans to ${ctx.receiver.url} failed: .*HTTP 500`));
    ctx.receiver.setMode('ok');
    await request(ctx.app.getHttpServer()).get('/items/3').expect(200);
    await ctx.sdk.forceFlush();
    expect(logs.infos).toEqual([expect.stringMatching(new RegExp(`^Exporting spans to ${ctx.receiver.url} works again, after 2 failed export\\(s\\) over \\d+ s \\(6 spans lost\\)`))]);
    expect(logs.warnings).toHaveLength(1);
    expect(ctx.sdk.stats).toMatchObject({ failed: 6, exported: 3 });
  });

  it('follows OTEL_TRACES_SAMPLER and samples nothing with always_off', async () => {
    ctx.receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ctx.receiver.endpoint;
    process.env.OTEL_TRACES_SAMPLER = 'always_off';
    ctx.sdk = startObservabilitySdk({ scheduledDelayMillis: 10 });
    ctx.app = await createTestApp('express', { imports: [ObservabilityModule.forRoot(), ItemsModule] });
    await request(ctx.app.getHttpServer()).get('/items/1').expect(200);
    await ctx.sdk.forceFlush();
    expect(ctx.sdk.stats.ended).toBe(0);
    expect(ctx.receiver.spans).toHaveLength(0);
  });

  it('samples new traces by ratio under a parent-based sampler', async () => {
    ctx.receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ctx.receiver.endpoint;
    ctx.sdk = startObservabilitySdk({ sampleRatio: 0, scheduledDelayMillis: 10 });
    ctx.app = await createTestApp('express', { imports: [ObservabilityModule.forRoot(), ItemsModule] });
    await request(ctx.app.getHttpServer()).get('/items/1').expect(200);
    await request(ctx.app.getHttpServer()).get('/items/2').set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01').expect(200);
    await ctx.sdk.forceFlush();
    expect(new Set(ctx.receiver.spans.map((s) => s.traceId))).toEqual(new Set(['0af7651916cd43dd8448eb211c80319c']));
  });

  it('returns the running SDK instead of starting a second one', () => {
    ctx.sdk = startObservabilitySdk({ exporter: 'none' });
    expect(startObservabilitySdk({ exporter: 'console' })).toBe(ctx.sdk);
    expect(getObservabilitySdk()).toBe(ctx.sdk);
  });
});

describe('the export path a configuration takes', () => {
  const ctx = useSdkTestScope([...OTEL_ENV, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_CERTIFICATE']);

  it.each([
    ['the default (OTLP/HTTP protobuf)', {}, {}, /^the encoded path \(spans encoded to OTLP as they end, posted from a worker thread\); spans are the module's own \(encoded at their end, nothing kept\)$/],
    ['spanExport: "sdk"', { spanExport: 'sdk' as const }, {}, /^the SDK's path \(its BatchSpanProcessor and OTLP exporter, on the main thread: spanExport: "sdk"\); spans are the SDK's$/],
    ['OTLP/HTTP JSON', {}, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json' }, /^the SDK's path .*: protocol http\/json\); spans are the SDK's$/],
    ['OTLP/gRPC', {}, { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }, /^the SDK's path .*: protocol grpc\); spans are the SDK's$/],
    ['a TLS variable', {}, { OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent/ca.pem' }, /^the SDK's path .*: OTEL_EXPORTER_OTLP_CERTIFICATE set\); spans are the SDK's$/],
    ['an exporter of the app', { exporter: new InMemorySpanExporter() }, {}, /^the SDK's path \(its BatchSpanProcessor and your exporter\); spans are the SDK's$/],
  ])('%s', async (_case, options, env, path) => {
    ctx.receiver = await startOtlpReceiver();
    Object.assign(process.env, { OTEL_EXPORTER_OTLP_ENDPOINT: ctx.receiver.endpoint }, env);
    ctx.sdk = startObservabilitySdk({ ...options, logger: captureLogger() });
    expect(ctx.sdk.exportPath).toMatch(path);
    const logs: string[] = [];
    ctx.app = await createTestApp('express', { imports: [ObservabilityModule.forRoot(), ItemsModule] }, (app) =>
      app.useLogger({ log: (m: string) => void logs.push(m), error() {}, warn() {}, debug() {}, verbose() {} }),
    );
    // Said once, at boot.
    expect(logs.filter((m) => m.startsWith('Traces go to'))).toEqual([`Traces go to ${ctx.sdk.destination}, through ${ctx.sdk.exportPath}.`]);
  });

  it.each([
    ['tracing.tracerProvider', true, 'Traces go to the tracing.tracerProvider given, through its own span processors.'],
    ["an SDK of the app's own", false, "Traces go to the app's own OpenTelemetry SDK, through its span processors and exporter."],
  ])('%s: its own processors, and the boot log says so', async (_case, asOption, line) => {
    const exporter = new InMemorySpanExporter();
    const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
    if (!asOption) trace.setGlobalTracerProvider(provider);
    try {
      const logs: string[] = [];
      ctx.app = await createTestApp('express', { imports: [ObservabilityModule.forRoot(asOption ? { tracing: { tracerProvider: provider } } : {}), ItemsModule] }, (app) =>
        app.useLogger({ log: (m: string) => void logs.push(m), error() {}, warn() {}, debug() {}, verbose() {} }),
      );
      expect(logs.filter((m) => m.startsWith('Traces go'))).toEqual([line]);
      await request(ctx.app.getHttpServer()).get('/items/1').expect(200);
      expect(exporter.getFinishedSpans().map((s) => s.name)).toContain('GET /items/:id');
    } finally {
      trace.disable();
    }
  });

  it('exports the same spans on the SDK path (spanExport: "sdk") as before', async () => {
    ctx.receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ctx.receiver.endpoint;
    ctx.sdk = startObservabilitySdk({ spanExport: 'sdk', scheduledDelayMillis: 60_000 });
    ctx.app = await createTestApp('fastify', { imports: [ObservabilityModule.forRoot(), ItemsModule] });
    await request(ctx.app.getHttpServer()).get('/items/5').expect(200);
    await ctx.sdk.forceFlush();
    expect(ctx.receiver.spans.map((s) => s.name).sort()).toEqual(['GET /items/:id', 'InventoryService.reserve', 'inventory.check']);
    expect(ctx.sdk.stats).toMatchObject({ ended: 3, exported: 3 });
  });

  it('leaves no thread behind: 50 apps in one process, each started, traced and closed', async () => {
    ctx.receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = ctx.receiver.endpoint;
    const threads = () => Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]);
    const cycle = async (i: number, spanExport: 'sdk' | 'worker') => {
      ctx.sdk = startObservabilitySdk({ spanExport, scheduledDelayMillis: 60_000 });
      const app = await createTestApp(i % 2 ? 'fastify' : 'express', { imports: [ObservabilityModule.forRoot(), ItemsModule] });
      await request(app.getHttpServer()).get(`/items/${i}`).expect(200);
      await app.close(); // flushes the SDK: its export thread ends with the flush
      return ctx.sdk;
    };
    // The threads of the process without an export thread (libuv's pool and the like start on first use).
    await (await cycle(-1, 'sdk')).shutdown();
    const baseline = threads();
    const seen: number[] = [];
    for (let i = 0; i < 50; i++) {
      const sdk = await cycle(i, 'worker');
      // A terminated thread leaves /proc a moment after terminate() resolves (seen on a loaded box): wait
      // up to a second for it; a thread left running never goes.
      for (let k = 0; k < 50 && threads() > baseline; k++) await new Promise((r) => setTimeout(r, 20));
      seen.push(threads() - baseline);
      await sdk.shutdown();
    }
    expect(seen).toEqual(Array(50).fill(0));
    expect(ctx.receiver.spans.filter((s) => s.name === 'GET /items/:id')).toHaveLength(51);
  }, 120_000);
});

describe('without an SDK', () => {
  it('works, and says once that spans are not recorded', async () => {
    @Injectable()
    class Job {
      @Traced()
      run(): number {
        return 42;
      }
    }
    @Module({ providers: [Job] })
    class JobModule {}
    const warnings: string[] = [];
    const { Test } = await import('@nestjs/testing');
    const moduleRef = await Test.createTestingModule({ imports: [ObservabilityModule.forRoot(), JobModule, ItemsModule] }).compile();
    moduleRef.useLogger({ log() {}, error() {}, warn: (m: string) => warnings.push(m), debug() {}, verbose() {} });
    const app = moduleRef.createNestApplication();
    await app.init();
    try {
      expect(app.get(Job).run()).toBe(42);
      await request(app.getHttpServer()).get('/items/1').expect(200);
      expect(warnings.filter((w) => w.includes('No OpenTelemetry SDK is registered'))).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
