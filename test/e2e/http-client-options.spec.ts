/**
 * `httpClient` options in one process: `hosts` and `excludeUrls` leave calls unrecorded (no span, no
 * metric) but still propagated, the management port is never recorded, and `httpClient: false` keeps
 * only the propagation.
 */
import { INestApplication } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import request from 'supertest';
import { ManagementServer, ObservabilityTestingModule, TestSpans } from '../../lib';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';
import { CallerModule } from '../fixtures/http-client/caller.app';
import { HeaderSink, startHeaderSink } from '../support/header-sink';

const COUNT = 'http_client_request_duration_seconds_count';

describe.each(PLATFORMS)('httpClient options on %s', (platform) => {
  let sink: HeaderSink;
  let app: INestApplication | undefined;
  beforeAll(async () => {
    sink = await startHeaderSink();
  });
  afterAll(() => sink.close());
  beforeEach(() => {
    sink.received.length = 0;
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const port = () => new URL(sink.url).port;
  const call = async (url: string) => (await request(app!.getHttpServer()).get('/call').query({ url }).expect(200)).body;
  const metrics = async () => (await request(app!.getHttpServer()).get('/metrics').expect(200)).text;
  const clientSpans = (spans: TestSpans) => spans.all().filter((s) => s.kind === SpanKind.CLIENT);

  it('records neither a denied host nor an excluded URL, and still sends traceparent to both', async () => {
    app = await createTestApp(platform, {
      imports: [ObservabilityTestingModule.forRoot({ httpClient: { hosts: { deny: ['localhost'] }, excludeUrls: [`${sink.url}skip`] } }), CallerModule],
    });
    const spans = app.get(TestSpans);
    await call(`http://localhost:${port()}/denied`);
    await call(`${sink.url}skip/this?x=1`);
    await call(`${sink.url}kept`);
    await spans.waitFor(4);
    expect(sink.received).toHaveLength(3);
    for (const headers of sink.received) expect(headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(clientSpans(spans).map((s) => s.attributes['url.full'])).toEqual([`${sink.url}kept`]);
    // The kept call's traceparent names its client span; the others name the server span.
    const kept = clientSpans(spans)[0];
    expect(sink.received[2].traceparent).toBe(`00-${kept.spanContext().traceId}-${kept.spanContext().spanId}-01`);
    const text = await metrics();
    expect(text).toMatch(new RegExp(`${COUNT}\\{[^}]*server_address="127.0.0.1",server_port="${port()}"[^}]*\\} 1`));
    expect(text).not.toContain('server_address="localhost"');
  });

  it('an allow list records only the hosts it names', async () => {
    app = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot({ httpClient: { hosts: { allow: [`localhost:${port()}`] } } }), CallerModule] });
    const spans = app.get(TestSpans);
    await call(`http://localhost:${port()}/allowed`);
    await call(`${sink.url}other`);
    await spans.waitFor(3);
    expect(clientSpans(spans).map((s) => s.attributes['server.address'])).toEqual(['localhost']);
  });

  it('never records calls to the management port', async () => {
    app = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot({ management: { port: 0, host: '127.0.0.1' } }), CallerModule] });
    const spans = app.get(TestSpans);
    const management = app.get(ManagementServer).port!;
    await call(`http://127.0.0.1:${management}/metrics`);
    await call(sink.url);
    await spans.waitFor(3);
    expect(clientSpans(spans).map((s) => s.attributes['server.port'])).toEqual([Number(port())]);
    const text = await (await fetch(`http://127.0.0.1:${management}/metrics`)).text();
    expect(text).not.toContain(`server_port="${management}"`);
    expect(text).toContain(`server_port="${port()}"`);
  });

  it('httpClient: false records nothing and still propagates', async () => {
    app = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot({ httpClient: false }), CallerModule] });
    const spans = app.get(TestSpans);
    await call(sink.url);
    await spans.waitFor(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(clientSpans(spans)).toEqual([]);
    const server = spans.all()[0];
    expect(sink.received[0].traceparent).toBe(`00-${server.spanContext().traceId}-${server.spanContext().spanId}-01`);
    expect(await metrics()).not.toContain('http_client_request_duration_seconds');
  });
});
