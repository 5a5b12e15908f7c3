import {
  CallHandler,
  CanActivate,
  ExecutionContext,
  INestApplication,
  Injectable,
  Module,
  NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR, Reflector } from '@nestjs/core';
import request from 'supertest';
import { map } from 'rxjs/operators';
import { isObservabilityEndpoint, MetricsService, ObservabilityModule } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';
import { OrdersModule } from '../fixtures/orders.app';

const IS_PUBLIC = 'test:public';
const Public = () => SetMetadata(IS_PUBLIC, true);

/** The `{ data: ... }` wrapper of @willsoto/nestjs-prometheus#2361. */
@Injectable()
class WrapInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler) {
    return next.handle().pipe(map((data) => ({ data })));
  }
}

/** A global auth guard that only lets @Public() routes through (@willsoto/nestjs-prometheus#1997). */
@Injectable()
class AuthGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}
  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    return context.switchToHttp().getRequest().headers.authorization === 'Bearer ok';
  }
}

/** A global guard that uses the helper instead of a decorator. */
@Injectable()
class HelperGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    return isObservabilityEndpoint(context) || context.switchToHttp().getRequest().headers.authorization === 'Bearer ok';
  }
}

describe.each(PLATFORMS)('the metrics endpoint on %s', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('serves Prometheus text by default and OpenMetrics when asked', async () => {
    app = await createTestApp(platform, {
      imports: [ObservabilityModule.forRoot({ metrics: { defaultLabels: { service: 'orders', version: '1.2.3' } } }), OrdersModule],
    });
    await request(app.getHttpServer()).get('/orders/1').expect(200);
    const text = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(text.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text.text).toContain('# TYPE orders_controller_find_total counter');
    expect(text.text).toMatch(/process_cpu_user_seconds_total\{service="orders",version="1.2.3"\} /);
    expect(text.text).toContain('# TYPE nodejs_eventloop_lag_p99_seconds gauge');
    expect(sampleValue(text.text, 'orders_created_total', { channel: 'web', service: 'orders' })).toBe(1);

    const open = await request(app.getHttpServer())
      .get('/metrics')
      .set('Accept', 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5')
      .expect(200);
    expect(open.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(open.text).toContain('# TYPE orders_controller_find counter');
    expect(open.text).toContain('orders_controller_find_total{');
    expect(open.text.endsWith('# EOF\n')).toBe(true);
  });

  it('serves a configured path and prefixes default metrics', async () => {
    app = await createTestApp(platform, {
      imports: [ObservabilityModule.forRoot({ metrics: { path: '/internal/prometheus', defaultMetrics: { prefix: 'orders_' } } })],
    });
    await request(app.getHttpServer()).get('/metrics').expect(404);
    const res = await request(app.getHttpServer()).get('/internal/prometheus').expect(200);
    expect(res.text).toContain('# TYPE orders_process_cpu_user_seconds_total counter');
    expect(res.text).toContain('# TYPE orders_nodejs_gc_duration_seconds histogram');
  });

  it('is not altered by a global interceptor that wraps results in { data }', async () => {
    app = await createTestApp(platform, {
      imports: [ObservabilityModule.forRoot(), OrdersModule],
      providers: [{ provide: APP_INTERCEPTOR, useClass: WrapInterceptor }],
    });
    await request(app.getHttpServer()).get('/orders/1').expect(200, { data: { id: '1' } });
    const res = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(res.text.startsWith('# HELP')).toBe(true);
    expect(res.text).not.toContain('"data"');
  });

  it('logs no error for a 401 or a scrape under a mapping interceptor, and answers the right bodies', async () => {
    const errors: unknown[] = [];
    const logger = { log() {}, error: (m: unknown) => errors.push(m), warn() {}, debug() {}, verbose() {} };
    app = await createTestApp(
      platform,
      {
        imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false, auth: { bearerToken: 'scrape-token-1' } } })],
        providers: [{ provide: APP_INTERCEPTOR, useClass: WrapInterceptor }],
      },
      (a) => a.useLogger(logger),
    );
    app.get(MetricsService).counter({ name: 'jobs_done_total', help: 'Jobs done' }).inc();
    for (let i = 0; i < 3; i++) {
      await request(app.getHttpServer()).get('/metrics').expect(401, 'Unauthorized\n');
      const res = await request(app.getHttpServer()).get('/metrics').set('authorization', 'Bearer scrape-token-1').expect(200);
      expect(sampleValue(res.text, 'jobs_done_total')).toBe(1);
      expect(res.text).not.toContain('"data"');
    }
    // Give a late second write (and its log line) the time to happen.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(errors).toEqual([]);
  });

  it('lets a global auth guard through with the metrics.decorators option', async () => {
    app = await createTestApp(platform, {
      imports: [ObservabilityModule.forRoot({ metrics: { decorators: [Public()] } }), OrdersModule],
      providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
    });
    await request(app.getHttpServer()).get('/orders/1').expect(403);
    await request(app.getHttpServer()).get('/orders/1').set('authorization', 'Bearer ok').expect(200);
    await request(app.getHttpServer()).get('/metrics').expect(200);
  });

  it('lets a global guard skip the endpoint with isObservabilityEndpoint()', async () => {
    app = await createTestApp(platform, {
      imports: [ObservabilityModule.forRoot(), OrdersModule],
      providers: [{ provide: APP_GUARD, useClass: HelperGuard }],
    });
    await request(app.getHttpServer()).get('/orders/1').expect(403);
    await request(app.getHttpServer()).get('/metrics').expect(200);
  });

  it('keeps the metrics endpoint private when the app guards everything and nothing opts it out', async () => {
    app = await createTestApp(platform, {
      imports: [ObservabilityModule.forRoot()],
      providers: [{ provide: APP_GUARD, useClass: AuthGuard }],
    });
    await request(app.getHttpServer()).get('/metrics').expect(403);
    await request(app.getHttpServer()).get('/metrics').set('authorization', 'Bearer ok').expect(200);
  });

  it('answers 500 with a logged reason when a custom collect() fails, and recovers', async () => {
    @Module({})
    class Broken {}
    app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false } }), Broken] });
    let fail = true;
    app.get(MetricsService).gauge({
      name: 'flaky',
      help: 'Fails once',
      collect() {
        if (fail) throw new Error('backend unreachable');
        this.set(1);
      },
    });
    const res = await request(app.getHttpServer()).get('/metrics').expect(500);
    expect(res.text).toContain('backend unreachable');
    fail = false;
    expect(sampleValue((await request(app.getHttpServer()).get('/metrics').expect(200)).text, 'flaky')).toBe(1);
  });

  it('serves and logs no password from a failing collect(), logs it once, not on every scrape, and logs the recovery', async () => {
    const errors: string[] = [];
    const logs: string[] = [];
    app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false } })] }, (a) =>
      a.useLogger({ log: (m: string) => logs.push(m), error: (m: string) => errors.push(m), warn() {}, debug() {}, verbose() {} }),
    );
    let fail = true;
    app.get(MetricsService).gauge({
      name: 'orders_pending',
      help: 'Pending orders, read from the database',
      collect() {
        if (fail) throw new Error('connect ECONNREFUSED postgres://orders_admin:S3cr3t@db.internal:5432/orders?password=hunter2');
        this.set(3);
      },
    });
    const bodies: string[] = [];
    for (let i = 0; i < 3; i++) bodies.push((await request(app.getHttpServer()).get('/metrics').expect(500)).text);
    for (const body of bodies) {
      expect(body).toBe('# metrics collection failed: metric "orders_pending": connect ECONNREFUSED postgres://orders_admin:***@db.internal:5432/orders?password=***\n');
    }
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('metric "orders_pending": connect ECONNREFUSED postgres://orders_admin:***@db.internal');
    expect(errors[0]).not.toMatch(/S3cr3t|hunter2/);
    fail = false;
    expect(sampleValue((await request(app.getHttpServer()).get('/metrics').expect(200)).text, 'orders_pending')).toBe(3);
    expect(logs).toContain('Rendering /metrics works again.');
    fail = true;
    await request(app.getHttpServer()).get('/metrics').expect(500);
    expect(errors).toHaveLength(2);
  });

  it('shares one render between concurrent scrapes, and renders again for the next one', async () => {
    app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false } })] });
    let collects = 0;
    app.get(MetricsService).gauge({
      name: 'slow_collect',
      help: 'A gauge whose collect() takes a while, like a database query.',
      async collect() {
        collects++;
        await new Promise((resolve) => setTimeout(resolve, 300));
        this.set(collects);
      },
    });
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    const bodies = await Promise.all(Array.from({ length: 10 }, () => fetch(`${url}/metrics`).then((r) => r.text())));
    expect(collects).toBe(1);
    for (const body of bodies) expect(sampleValue(body, 'slow_collect')).toBe(1);
    // OpenMetrics is its own render; a later scrape is a new render.
    const open = await request(app.getHttpServer()).get('/metrics').set('Accept', 'application/openmetrics-text').expect(200);
    expect(open.text).toContain('slow_collect 2');
    expect(sampleValue((await request(app.getHttpServer()).get('/metrics').expect(200)).text, 'slow_collect')).toBe(3);
  });

  it('sends a large scrape in pieces: the same bytes as render(), with their Content-Length, and HEAD without a body', async () => {
    app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false, defaultLabels: { service: 'é' } } })] });
    const metrics = app.get(MetricsService);
    const counter = metrics.counter({ name: 'routes_total', help: 'Requests per route', labelNames: ['route'] });
    // ~0.8 MB: a dozen pieces of 64 KB; multi-byte characters so that bytes and characters differ.
    for (let i = 0; i < 12_000; i++) counter.inc({ route: `/ressource/${i}/détail` }, i);
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    for (const accept of ['text/plain', 'application/openmetrics-text']) {
      const response = await fetch(`${url}/metrics`, { headers: { accept } });
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(response.headers.get('content-length')).toBe(String(bytes.length));
      expect(response.headers.get('content-type')).toContain(accept);
      const expected = await metrics.render(accept === 'text/plain' ? 'prometheus' : 'openmetrics');
      expect(bytes.toString('utf8')).toBe(expected);
      expect(bytes.length).toBeGreaterThan(700_000);
    }
    const head = await fetch(`${url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(700_000);
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });
});
