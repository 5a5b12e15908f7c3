import { ArgumentsHost, Catch, Controller, ExceptionFilter, Get, HttpException, INestApplication, Module, Param, Res } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import request from 'supertest';
import { ObservabilityModule } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';
import { OrdersModule } from '../fixtures/orders.app';

/** Turns every 404 into a 410, so the test can see that the status recorded is the final one. */
@Catch(HttpException)
class GoneFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const status = exception.getStatus() === 404 ? 410 : exception.getStatus();
    const response = host.switchToHttp().getResponse();
    if (typeof response.code === 'function') response.code(status).send({ status });
    else response.status(status).json({ status });
  }
}

@Module({
  imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false, http: { buckets: [0.1, 1] } } }), OrdersModule],
  providers: [{ provide: APP_FILTER, useClass: GoneFilter }],
})
class AppModule {}

const HIST = 'http_server_request_duration_seconds_count';

describe.each(PLATFORMS)('HTTP server metrics on %s', (platform) => {
  let app: INestApplication;
  const scrape = async () => (await request(app.getHttpServer()).get('/metrics').expect(200)).text;

  beforeEach(async () => {
    app = await createTestApp(platform, AppModule);
  });
  afterEach(() => app.close());

  it('labels requests with the route template, never the raw path', async () => {
    await request(app.getHttpServer()).get('/orders/1').expect(200);
    await request(app.getHttpServer()).get('/orders/2').expect(200);
    const text = await scrape();
    expect(sampleValue(text, HIST, { http_request_method: 'GET', http_route: '/orders/:id', http_response_status_code: '200' })).toBe(2);
    expect(text).not.toContain('http_route="/orders/1"');
    expect(text).toContain('# TYPE http_server_request_duration_seconds histogram');
    expect(sampleValue(text, 'http_server_request_duration_seconds_bucket', { http_route: '/orders/:id', le: '+Inf' })).toBe(2);
  });

  it('records the final status, after exception filters ran', async () => {
    await request(app.getHttpServer()).get('/orders/missing').expect(410);
    await request(app.getHttpServer()).get('/orders/charge/fail').expect(402);
    const text = await scrape();
    expect(sampleValue(text, HIST, { http_route: '/orders/:id', http_response_status_code: '410' })).toBe(1);
    expect(sampleValue(text, HIST, { http_route: '/orders/charge/:outcome', http_response_status_code: '402' })).toBe(1);
  });

  it('collapses every unmatched URL into one series', async () => {
    for (const path of ['/nope', '/a/b/c', '/random-' + Date.now()]) {
      await request(app.getHttpServer()).get(path);
    }
    const text = await scrape();
    const unmatched = text.split('\n').filter((l) => l.startsWith(HIST) && l.includes('http_route="UNMATCHED"'));
    expect(unmatched).toHaveLength(1);
    expect(unmatched[0]).toMatch(/ 3$/);
    expect(text).not.toContain('/random-');
  });

  it('does not measure /metrics itself or the health paths', async () => {
    await scrape();
    await request(app.getHttpServer()).get('/health/live');
    const text = await scrape();
    expect(text).not.toContain('http_route="/metrics"');
    expect(text).not.toMatch(/http_route="[^"]*health/);
    expect(sampleValue(text, HIST, { http_route: 'UNMATCHED' })).toBeUndefined();
  });

  it('uses the configured buckets and reports requests in flight', async () => {
    await request(app.getHttpServer()).get('/orders/1').expect(200);
    const text = await scrape();
    expect(sampleValue(text, 'http_server_request_duration_seconds_bucket', { http_route: '/orders/:id', le: '0.1' })).toBe(1);
    expect(sampleValue(text, 'http_server_request_duration_seconds_bucket', { http_route: '/orders/:id', le: '0.005' })).toBeUndefined();
    expect(sampleValue(text, 'http_server_active_requests')).toBe(0);
  });
});

describe.each(PLATFORMS)('HTTP metrics options on %s', (platform) => {
  it('takes a custom exclusion list, unmatched label and route cap', async () => {
    const app = await createTestApp(platform, {
      imports: [
        ObservabilityModule.forRoot({
          metrics: { defaultMetrics: false, http: { excludePaths: ['/orders/stream'], unmatchedRouteLabel: 'none', maxRoutes: 1 } },
        }),
        OrdersModule,
      ],
    });
    try {
      await request(app.getHttpServer()).get('/orders/stream').expect(200);
      await request(app.getHttpServer()).get('/orders/1').expect(200);
      await request(app.getHttpServer()).get('/orders/explode').expect(500);
      await request(app.getHttpServer()).get('/missing').expect(404);
      const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
      expect(text).not.toContain('http_route="/orders/stream"');
      expect(sampleValue(text, HIST, { http_route: '/orders/:id' })).toBe(1);
      expect(sampleValue(text, HIST, { http_route: 'OTHER', http_response_status_code: '500' })).toBe(1);
      expect(sampleValue(text, HIST, { http_route: 'none', http_response_status_code: '404' })).toBe(1);
      // /metrics is no longer excluded once the list is replaced
      expect(sampleValue(text, HIST, { http_route: 'OTHER', http_response_status_code: '200' })).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});

/** A handler that answers the status its caller asks for: the cardinality attack of issue 24 item 15. */
@Controller('echo')
class EchoStatusController {
  @Get(':code')
  echo(@Param('code') code: string, @Res() response: any): void {
    if (typeof response.code === 'function') response.code(Number(code)).send('x');
    else response.status(Number(code)).send('x');
  }
}

@Module({ controllers: [EchoStatusController] })
class EchoStatusModule {}

describe.each(PLATFORMS)('the http_response_status_code label on %s', (platform) => {
  it('records a status outside 100-599 as _OTHER, and codes beyond the first 50 distinct ones by class, warning once', async () => {
    const warnings: string[] = [];
    const app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false } }), EchoStatusModule] }, (a) =>
      a.useLogger({ log() {}, error() {}, warn: (m: string) => warnings.push(m), debug() {}, verbose() {} }),
    );
    try {
      const server = app.getHttpServer();
      // Node accepts 100-999; Fastify refuses codes above 599 itself (and answers 500).
      if (platform === 'express') for (const code of [600, 900, 999]) await request(server).get(`/echo/${code}`).expect(code);
      for (let code = 400; code < 460; code++) await request(server).get(`/echo/${code}`).expect(code);
      const text = (await request(server).get('/metrics').expect(200)).text;
      const labels = new Set([...text.matchAll(/^http_server_request_duration_seconds_count\{[^}]*http_response_status_code="([^"]+)"/gm)].map((m) => m[1]));
      const numeric = [...labels].filter((label) => /^\d+$/.test(label));
      expect(numeric.length).toBeLessThanOrEqual(50);
      expect(labels.has('4xx')).toBe(true);
      expect(sampleValue(text, HIST, { http_route: '/echo/:code', http_response_status_code: '400' })).toBe(1);
      expect([...labels].filter((label) => !/^\d+$/.test(label)).sort()).toEqual(platform === 'express' ? ['4xx', '_OTHER'] : ['4xx']);
      if (platform === 'express') expect(sampleValue(text, HIST, { http_response_status_code: '_OTHER' })).toBe(3);
      expect(warnings.filter((w) => w.includes('distinct HTTP status codes'))).toHaveLength(1);
    } finally {
      await app.close();
    }
  });
});
