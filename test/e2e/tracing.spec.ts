import { INestApplication } from '@nestjs/common';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ObservabilityTestingModule, TestSpans } from '../../lib';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';
import { downstream, ItemsModule } from '../fixtures/tracing.app';
import { HeaderSink, startHeaderSink } from '../support/header-sink';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';

describe.each(PLATFORMS)('tracing on %s', (platform) => {
  let app: INestApplication;
  let spans: TestSpans;
  let sink: HeaderSink;

  beforeAll(async () => {
    sink = await startHeaderSink();
    downstream.url = sink.url;
  });
  afterAll(() => sink.close());

  beforeEach(async () => {
    app = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot(), ItemsModule] });
    spans = app.get(TestSpans);
    sink.received.length = 0;
  });
  afterEach(() => app.close());

  const server = (name: string) => spans.all().find((s) => s.name === name && s.kind === SpanKind.SERVER)!;

  it('builds the span tree controller -> @Traced -> nested @Traced with names, kinds, parents and attributes', async () => {
    await request(app.getHttpServer()).get('/items/7').set('user-agent', 'jest-agent').expect(200, { id: '7', inStock: true });
    await spans.waitFor(3);
    const root = server('GET /items/:id');
    const reserve = spans.byName('InventoryService.reserve')!;
    const check = spans.byName('inventory.check')!;
    expect(root.kind).toBe(SpanKind.SERVER);
    expect(reserve.kind).toBe(SpanKind.INTERNAL);
    expect(spans.parentId(root)).toBe('');
    expect(spans.parentId(reserve)).toBe(root.spanContext().spanId);
    expect(spans.parentId(check)).toBe(reserve.spanContext().spanId);
    expect(new Set([root, reserve, check].map((s) => s.spanContext().traceId)).size).toBe(1);
    expect(root.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/items/:id',
      'url.path': '/items/7',
      'url.scheme': 'http',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'user_agent.original': 'jest-agent',
      'nest.controller': 'ItemsController',
      'nest.handler': 'get',
    });
    expect(typeof root.attributes['client.address']).toBe('string');
    expect(check.attributes).toEqual({ 'inventory.store': 'main', 'item.id': '7' });
    expect(reserve.attributes).toEqual({});
    // The instrumentation scope names this library and its version, read from its package.json.
    const { version } = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string };
    for (const span of [root, reserve, check]) expect(span.instrumentationScope).toMatchObject({ name: 'nestjs-observability', version });
    for (const span of [root, reserve, check]) expect(span.status.code).toBe(SpanStatusCode.UNSET);
    // The server span covers the whole request, so it ends last and lasts at least as long as its child.
    expect(durationMs(root)).toBeGreaterThanOrEqual(durationMs(reserve));
  });

  it('continues an incoming traceparent', async () => {
    await request(app.getHttpServer()).get('/items/1').set('traceparent', `00-${TRACE_ID}-${PARENT_ID}-01`).expect(200);
    await spans.waitFor(3);
    const root = server('GET /items/:id');
    expect(root.spanContext().traceId).toBe(TRACE_ID);
    expect(spans.parentId(root)).toBe(PARENT_ID);
    expect(spans.byName('inventory.check')!.spanContext().traceId).toBe(TRACE_ID);
  });

  it('creates nothing under a parent that is not sampled, and still propagates the trace', async () => {
    const res = await request(app.getHttpServer()).get('/items/downstream').set('traceparent', `00-${TRACE_ID}-${PARENT_ID}-00`).expect(200);
    expect(res.body.traceId).toBe(TRACE_ID);
    await new Promise((r) => setTimeout(r, 20));
    expect(spans.all()).toHaveLength(0);
    expect(sink.received).toHaveLength(2);
    for (const headers of sink.received) expect(headers.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
  });

  it('records a 5xx as ERROR with the exception event, and a 4xx as a recorded exception without ERROR', async () => {
    await request(app.getHttpServer()).get('/items/fail/server').expect(500);
    await request(app.getHttpServer()).get('/items/fail/client').expect(404);
    await spans.waitFor(3);
    const failed = server('GET /items/fail/server');
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.attributes['http.response.status_code']).toBe(500);
    expect(failed.attributes['error.type']).toBe('500');
    expect(failed.events.map((e) => [e.name, e.attributes?.['exception.type'], e.attributes?.['exception.message']])).toEqual([
      ['exception', 'InventoryError', 'shelf collapsed'],
    ]);
    const inner = spans.byName('InventoryService.explode')!;
    expect(inner.status).toEqual({ code: SpanStatusCode.ERROR, message: 'shelf collapsed' });
    const notFound = server('GET /items/fail/client');
    expect(notFound.status.code).toBe(SpanStatusCode.UNSET);
    expect(notFound.attributes['http.response.status_code']).toBe(404);
    expect(notFound.events[0].attributes?.['exception.type']).toBe('NotFoundException');
  });

  it('keeps a traced Observable open until it completes', async () => {
    await request(app.getHttpServer()).get('/items/stream').expect(200);
    await spans.waitFor(2);
    const stream = spans.byName('InventoryService.stream')!;
    expect(durationMs(stream)).toBeGreaterThanOrEqual(12);
    expect(spans.parentId(stream)).toBe(server('GET /items/stream').spanContext().spanId);
  });

  it('keeps the request context through body parsing', async () => {
    const res = await request(app.getHttpServer()).post('/items').send({ name: 'chair' }).expect(200);
    await spans.waitFor(1);
    expect(res.body.traceId).toBe(server('POST /items').spanContext().traceId);
  });

  it('carries the trace into outgoing fetch() and http requests', async () => {
    const res = await request(app.getHttpServer()).get('/items/downstream').expect(200);
    await spans.waitFor(1);
    const root = server('GET /items/downstream');
    expect(res.body.traceId).toBe(root.spanContext().traceId);
    expect(sink.received).toHaveLength(2);
    // Each call went out under its own CLIENT span (httpClient), a child of the server span.
    await spans.waitFor(3);
    const clients = spans.all().filter((s) => s.kind === SpanKind.CLIENT);
    expect(clients.map((s) => spans.parentId(s))).toEqual([root.spanContext().spanId, root.spanContext().spanId]);
    expect(sink.received.map((h) => h.traceparent).sort()).toEqual(clients.map((c) => `00-${c.spanContext().traceId}-${c.spanContext().spanId}-01`).sort());
  });

  it('does not trace /metrics, and names unmatched requests by method only', async () => {
    await request(app.getHttpServer()).get('/metrics').expect(200);
    await request(app.getHttpServer()).get('/nowhere').expect(404);
    await spans.waitFor(1);
    expect(spans.all().map((s) => s.name)).toEqual(['GET']);
    expect(spans.all()[0].attributes['http.route']).toBeUndefined();
  });
});

function durationMs(span: ReadableSpan): number {
  return span.duration[0] * 1e3 + span.duration[1] / 1e6;
}
