/**
 * The snippet of docs/http-client.md boots and answers: its module, compiled as a user would (CommonJS,
 * `nestjs-observability` resolving to lib/), on Express and Fastify, calls a local pricing server and
 * records what the page says.
 */
import { INestApplication, Type } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';
import { loadSnippetModule } from '../support/snippet-module';

describe.each(PLATFORMS)('docs/http-client.md on %s', (platform) => {
  let pricing: Server;
  let app: INestApplication;
  const paths: string[] = [];

  beforeAll(async () => {
    pricing = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ item: 'book', unitPriceCents: 1250, traceparent: req.headers.traceparent ?? null }));
    });
    await new Promise<void>((r) => pricing.listen(0, '127.0.0.1', r));
    process.env.PRICING_URL = `http://127.0.0.1:${(pricing.address() as AddressInfo).port}`;
    const { AppModule } = loadSnippetModule('docs/http-client.md', 'src/app.module.ts') as { AppModule: Type<unknown> };
    app = await createTestApp(platform, AppModule);
  });
  afterAll(async () => {
    await app?.close();
    await new Promise((r) => pricing.close(r));
    delete process.env.PRICING_URL;
  });

  it('GET /quotes/book calls pricing and records it under the template', async () => {
    const res = await request(app.getHttpServer()).get('/quotes/book').expect(200);
    expect(res.body).toMatchObject({ item: 'book', unitPriceCents: 1250 });
    expect(paths).toContain('/prices/book?currency=EUR');
    const port = new URL(process.env.PRICING_URL!).port;
    const metrics = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    expect(metrics).toContain(
      `http_client_request_duration_seconds_count{http_request_method="GET",server_address="127.0.0.1",server_port="${port}",http_response_status_code="200",error_type="",url_template="/prices/{item}"} 1`,
    );
  });
});
