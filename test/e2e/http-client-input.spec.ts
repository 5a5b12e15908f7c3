import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { ObservabilityTestingModule, TestSpans } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';

/** The slow handler tells the test it runs, then waits until the test lets it finish. */
const slow = { started: () => {}, release: Promise.resolve() };

@Controller('slow')
class SlowController {
  @Get()
  async slow(): Promise<string> {
    slow.started();
    await slow.release;
    return 'done';
  }
}

@Controller('plain')
class PlainController {
  @Get()
  plain(): string {
    return 'ok';
  }
}

@Module({ controllers: [SlowController, PlainController] })
class ClientInputModule {}

describe.each(PLATFORMS)('what the client controls, on %s', (platform) => {
  let app: INestApplication;
  let spans: TestSpans;

  beforeEach(async () => {
    app = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot(), ClientInputModule] });
    spans = app.get(TestSpans);
  });
  afterEach(() => app.close());

  it('records a request the client aborted as 499 in the HTTP metrics and on its span, not as a 200 success', async () => {
    await app.listen(0, '127.0.0.1');
    const { port } = app.getHttpServer().address() as AddressInfo;
    let release = () => {};
    slow.release = new Promise<void>((r) => (release = r));
    const started = new Promise<void>((r) => (slow.started = r));
    const clientGone = new Promise<void>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/slow' });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      req.end();
      void started.then(() => req.destroy());
    });
    await clientGone;
    const [span] = await spans.waitFor(1);
    expect(span.kind).toBe(SpanKind.SERVER);
    expect(span.attributes['http.response.status_code']).toBe(499);
    expect(span.status.code).not.toBe(2);
    // The handler finishes later; nothing more is recorded for the request.
    release();
    await new Promise((r) => setTimeout(r, 50));
    const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(sampleValue(text, 'http_server_request_duration_seconds_count', { http_route: '/slow', http_response_status_code: '499' })).toBe(1);
    expect(sampleValue(text, 'http_server_request_duration_seconds_count', { http_route: '/slow', http_response_status_code: '200' })).toBeUndefined();
  });

  it('drops a Host port that is not a port, and bounds the length of client strings', async () => {
    const longAgent = 'A'.repeat(12_000);
    const longPath = `/plain/${'x'.repeat(5_000)}`;
    await request(app.getHttpServer()).get('/plain').set('Host', 'evil.example:notaport').set('User-Agent', longAgent).expect(200);
    await request(app.getHttpServer()).get(longPath).set('Host', 'ok.example:8080').expect(404);
    const all = await spans.waitFor(2);
    const evil = all.find((s) => s.attributes['server.address'] === 'evil.example')!;
    expect(evil.attributes).not.toHaveProperty('server.port');
    expect(evil.attributes['user_agent.original']).toBe('A'.repeat(256));
    const long = all.find((s) => s.attributes['server.address'] === 'ok.example')!;
    expect(long.attributes['server.port']).toBe(8080);
    expect(long.attributes['url.path']).toBe(longPath.slice(0, 256));
    for (const span of all) for (const value of Object.values(span.attributes)) if (typeof value === 'number') expect(Number.isFinite(value)).toBe(true);
  });
});
