import { INestApplication, Module } from '@nestjs/common';
import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { firstValueFrom } from 'rxjs';
import request from 'supertest';
import { ObservabilityLogger, ObservabilityTestingModule, TestSpans, TracingService } from '../../lib';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';
import { ItemsModule } from '../fixtures/tracing.app';

describe.each(PLATFORMS)('exemplars on %s', (platform) => {
  let app: INestApplication;
  beforeEach(async () => {
    app = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot(), ItemsModule] });
  });
  afterEach(() => app.close());

  it('puts trace and span ids on HTTP and @Timed observations, in OpenMetrics only', async () => {
    await request(app.getHttpServer()).get('/items/5').expect(200);
    const spans = await app.get(TestSpans).waitFor(3);
    const root = spans.find((s) => s.kind === SpanKind.SERVER)!;
    const check = spans.find((s) => s.name === 'inventory.check')!;
    const open = (await request(app.getHttpServer()).get('/metrics').set('Accept', 'application/openmetrics-text').expect(200)).text;
    const httpLine = open.split('\n').find((l) => l.startsWith('http_server_request_duration_seconds_bucket{') && l.includes('/items/:id') && l.includes(' # {'));
    expect(httpLine).toContain(`trace_id="${root.spanContext().traceId}",span_id="${root.spanContext().spanId}"`);
    const timedLine = open.split('\n').find((l) => l.startsWith('inventory_service_check_seconds_bucket{') && l.includes(' # {'));
    expect(timedLine).toContain(`span_id="${check.spanContext().spanId}"`);
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(text).not.toContain('trace_id');
  });
});

describe('exemplars switched off', () => {
  it('records no exemplar', async () => {
    const app = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot({ tracing: { exemplars: false } }), ItemsModule] });
    try {
      await request(app.getHttpServer()).get('/items/5').expect(200);
      const open = (await request(app.getHttpServer()).get('/metrics').set('Accept', 'application/openmetrics-text')).text;
      expect(open).not.toContain('trace_id');
    } finally {
      await app.close();
    }
  });
});

describe('ObservabilityLogger', () => {
  it('adds trace_id and span_id to lines logged inside a span, and nothing outside', async () => {
    const app = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot(), ItemsModule] });
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const logger = new ObservabilityLogger('Test');
      const jsonLogger = new ObservabilityLogger('Json', { json: true, colors: false });
      const tracing = app.get(TracingService);
      logger.log('outside');
      const ids = tracing.startActiveSpan('job', () => {
        logger.log('inside');
        jsonLogger.log('inside json');
        return { traceId: tracing.getTraceId()!, spanId: tracing.getSpanId()! };
      });
      write.mockRestore();
      const outside = lines.find((l) => l.includes('outside'))!;
      const inside = lines.find((l) => l.includes('inside') && !l.includes('json'))!;
      const json = JSON.parse(lines.find((l) => l.includes('inside json'))!);
      expect(outside).not.toContain('trace_id');
      expect(inside).toContain(`trace_id=${ids.traceId} span_id=${ids.spanId}`);
      expect(json).toMatchObject({ message: 'inside json', trace_id: ids.traceId, span_id: ids.spanId });
      expect(app.get(TestSpans).byName('job')).toBeDefined();
    } finally {
      write.mockRestore();
      await app.close();
    }
  });
});

describe('TracingService', () => {
  it('runs callbacks in child spans, ends async ones when they settle, records errors and rethrows them', async () => {
    const app = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot()] });
    try {
      const tracing = app.get(TracingService);
      const spans = app.get(TestSpans);
      const error = new RangeError('bad input');
      await tracing.startActiveSpan('outer', async () => {
        tracing.setAttributes({ 'job.id': 7 });
        tracing.addEvent('started');
        await new Promise((r) => setTimeout(r, 5));
        expect(() => tracing.startActiveSpan('inner', () => { throw error; })).toThrow(error);
      });
      const outer = spans.byName('outer')!;
      const inner = spans.byName('inner')!;
      expect(outer.attributes).toEqual({ 'job.id': 7 });
      expect(outer.events.map((e) => e.name)).toEqual(['started']);
      expect(inner.parentSpanContext?.spanId).toBe(outer.spanContext().spanId);
      expect(inner.status).toEqual({ code: SpanStatusCode.ERROR, message: 'bad input' });
      expect(inner.events[0].attributes?.['exception.type']).toBe('RangeError');
      expect(tracing.getTraceId()).toBeUndefined();
      // Under a remote parent (an extracted traceparent), sampled or not.
      const remote = (flags: string) =>
        propagation.extract(ROOT_CONTEXT, { traceparent: `00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-${flags}` });
      context.with(remote('01'), () => tracing.startActiveSpan('under remote sampled', () => undefined));
      context.with(remote('00'), () => tracing.startActiveSpan('under remote unsampled', () => undefined));
      const underRemote = spans.byName('under remote sampled')!;
      expect(underRemote.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(underRemote.parentSpanContext?.spanId).toBe('b7ad6b7169203331');
      expect(spans.byName('under remote unsampled')).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});

describe('RPC over the TCP transport', () => {
  it('gives each message a server span named after its pattern, with @Traced children and errors', async () => {
    const app = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot(), ItemsModule] });
    const microservice = app.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } });
    await app.startAllMicroservices();
    const port = (microservice as any).serverInstance?.server?.address?.().port ?? (microservice as any).server?.server?.address?.().port;
    const client: ClientProxy = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    try {
      expect(await firstValueFrom(client.send({ cmd: 'sum' }, [1, 2, 3]))).toBe(6);
      await expect(firstValueFrom(client.send('explode', {}))).rejects.toBeDefined();
      const spans = await app.get(TestSpans).waitFor(4);
      const sum = spans.find((s) => s.name === '{"cmd":"sum"}')!;
      expect(sum.kind).toBe(SpanKind.SERVER);
      expect(sum.attributes).toMatchObject({ 'rpc.system': 'nestjs', 'rpc.service': 'MathController', 'rpc.method': 'sum', 'nest.controller': 'MathController' });
      expect(spans.find((s) => s.name === 'inventory.check')!.parentSpanContext?.spanId).toBe(sum.spanContext().spanId);
      const explode = spans.find((s) => s.name === 'explode')!;
      expect(explode.status.code).toBe(SpanStatusCode.ERROR);
      expect(explode.events[0].attributes?.['exception.type']).toBe('InventoryError');
    } finally {
      client.close();
      await app.close();
    }
  });
});

describe('the opt-in ObservabilityInterceptor', () => {
  it('traces RPC calls itself when registered, and names the handler on HTTP server spans', async () => {
    const app = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot({ tracing: { rpc: false, interceptor: true } }), ItemsModule] });
    // A hybrid app's microservice gets the app's global enhancers only with inheritAppConfig.
    const microservice = app.connectMicroservice({ transport: Transport.TCP, options: { host: '127.0.0.1', port: 0 } }, { inheritAppConfig: true });
    await app.startAllMicroservices();
    const port = (microservice as any).serverInstance?.server?.address?.().port ?? (microservice as any).server?.server?.address?.().port;
    const client: ClientProxy = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    try {
      expect(await firstValueFrom(client.send({ cmd: 'sum' }, [2, 2]))).toBe(4);
      await request(app.getHttpServer()).get('/items/stream').expect(200);
      await app.get(TestSpans).waitFor(4);
      await new Promise((r) => setTimeout(r, 50));
      const spans = app.get(TestSpans).all();
      // Each span with its parent's name: one RPC span, one HTTP span, nothing doubled.
      expect(spans.map((s) => `${s.name} < ${spans.find((p) => p.spanContext().spanId === s.parentSpanContext?.spanId)?.name ?? 'root'}`).sort()).toEqual([
        'GET /items/stream < root',
        'InventoryService.stream < GET /items/stream',
        'MathController.sum < root',
        'inventory.check < MathController.sum',
      ]);
      const rpc = spans.find((s) => s.name === 'MathController.sum')!;
      expect(rpc.kind).toBe(SpanKind.SERVER);
      expect(rpc.attributes).toMatchObject({ 'nest.controller': 'MathController', 'nest.handler': 'sum', 'nest.context': 'rpc' });
      expect(spans.find((s) => s.name === 'inventory.check')!.parentSpanContext?.spanId).toBe(rpc.spanContext().spanId);
      // No dispatcher span for RPC when tracing.rpc is off: the interceptor's is the only one.
      expect(spans.filter((s) => s.name === '{"cmd":"sum"}')).toHaveLength(0);
      const http = spans.find((s) => s.name === 'GET /items/stream')!;
      expect(http.attributes).toMatchObject({ 'nest.context': 'http', 'nest.handler': 'stream' });
    } finally {
      client.close();
      await app.close();
    }
  });
});

describe('beside an HTTP auto-instrumentation', () => {
  it('enriches and renames the server span it already started instead of creating a second one', async () => {
    const app = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot(), ItemsModule] });
    const spans = app.get(TestSpans);
    const tracer = (spans.provider as any).getTracer('fake-instrumentation-http');
    // What @opentelemetry/instrumentation-http does: a SERVER span active around the app's request
    // listener, ended from inside response.end().
    const handler = app.getHttpAdapter().getInstance();
    const server: Server = createServer((req, res) => {
      const span = tracer.startSpan('GET', { kind: SpanKind.SERVER });
      const end = res.end;
      res.end = function (this: unknown, ...args: any[]) {
        const returned = end.apply(this, args as any);
        span.end();
        return returned;
      } as typeof res.end;
      context.with(trace.setSpan(context.active(), span), () => handler(req, res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as AddressInfo).port;
      expect((await fetch(`http://127.0.0.1:${port}/items/3`)).status).toBe(200);
      await spans.waitFor(3);
      const servers = spans.all().filter((s) => s.kind === SpanKind.SERVER);
      expect(servers).toHaveLength(1);
      expect(servers[0].name).toBe('GET /items/:id');
      expect(servers[0].instrumentationScope.name).toBe('fake-instrumentation-http');
      expect(servers[0].attributes).toMatchObject({ 'http.route': '/items/:id', 'nest.handler': 'get', 'http.response.status_code': 200 });
      expect(spans.byName('InventoryService.reserve')!.parentSpanContext?.spanId).toBe(servers[0].spanContext().spanId);
    } finally {
      await new Promise((r) => server.close(r));
      await app.close();
    }
  });
});

describe.each(PLATFORMS)('tracing switched off on %s', (platform) => {
  it('creates no span and leaves handlers working', async () => {
    @Module({})
    class Empty {}
    const app = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot({ tracing: false }), ItemsModule, Empty] });
    try {
      await request(app.getHttpServer()).get('/items/2').expect(200, { id: '2', inStock: true });
      await new Promise((r) => setTimeout(r, 20));
      expect(app.get(TestSpans).all()).toHaveLength(0);
    } finally {
      await app.close();
    }
  });
});

