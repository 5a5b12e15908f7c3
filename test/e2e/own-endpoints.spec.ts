import { INestApplication, VersioningType } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import request from 'supertest';
import { MetricsService, ObservabilityModuleOptions, ObservabilityTestingModule, TestSpans } from '../../lib';
import { createTestApp, parseSamples, PLATFORMS } from '../fixtures/create-test-app';
import { OrdersModule } from '../fixtures/orders.app';
import { rawRequest } from '../support/raw-http';

/** The `http_route` of every recorded request, with its count. */
async function recordedRoutes(app: INestApplication): Promise<Record<string, number>> {
  const routes: Record<string, number> = {};
  for (const [series, value] of parseSamples(await app.get(MetricsService).registry.metrics())) {
    if (!series.startsWith('http_server_request_duration_seconds_count{')) continue;
    const route = /http_route="([^"]*)"/.exec(series)![1];
    routes[route] = (routes[route] ?? 0) + value;
  }
  return routes;
}

describe.each(PLATFORMS)("the module's own endpoints are never the app's traffic, on %s", (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function boot(options: ObservabilityModuleOptions, configure?: (app: INestApplication) => void) {
    app = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot(options), OrdersModule] }, configure);
    return app;
  }

  /** Sends the requests, then one to the app's own route, and checks only that one was measured and traced. */
  async function expectOnlyAppTraffic(paths: Array<[string, number]>, appPath: string, appRoute: string) {
    const server = app!.getHttpServer();
    for (const [path, status] of paths) await request(server).get(path).expect(status);
    await request(server).get(appPath).expect(200);
    expect(await recordedRoutes(app!)).toEqual({ [appRoute]: 1 });
    const spans = app!.get(TestSpans);
    await spans.waitFor(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(spans.all().filter((s) => s.kind === SpanKind.SERVER).map((s) => s.name)).toEqual([`GET ${appRoute}`]);
  }

  it('with app.setGlobalPrefix("api"): /api/metrics and /api/health/* are neither measured nor traced', async () => {
    await boot({ metrics: { defaultMetrics: false } }, (a) => a.setGlobalPrefix('api'));
    await expectOnlyAppTraffic(
      [['/api/metrics', 200], ['/api/health/ready', 200], ['/api/health/live', 200], ['/api/health/startup', 200]],
      '/api/orders/1',
      '/api/orders/:id',
    );
  });

  it('with custom health and metrics paths: the probes and the scrape are neither measured nor traced', async () => {
    await boot({ metrics: { path: '/ops/prom', defaultMetrics: false }, health: { path: '/k8s', probePaths: { readiness: 'ready-now' } } });
    await expectOnlyAppTraffic([['/ops/prom', 200], ['/k8s/ready-now', 200], ['/k8s/live', 200]], '/orders/1', '/orders/:id');
  });

  it('whatever the case, trailing or doubled slashes', async () => {
    await boot({ metrics: { defaultMetrics: false } });
    // Express routes these to the module's endpoints (case-insensitive, non-strict); Fastify answers 404.
    const served = platform === 'express' ? 200 : 404;
    await expectOnlyAppTraffic(
      [
        ['/METRICS', served],
        ['/metrics/', served],
        ['/HEALTH/READY', served],
        ['/Health/Live/', served],
        ['//metrics', 404],
        // Fastify decodes percent-encoded letters before routing: recognised by the route it matched.
        ...(platform === 'fastify' ? ([['/%6Detrics', 200], ['/health/read%79', 200]] as Array<[string, number]>) : []),
      ],
      '/orders/1',
      '/orders/:id',
    );
  });

  it('with a #fragment or an absolute-form target (GET http://host/metrics): neither measured nor traced', async () => {
    await boot({ metrics: { defaultMetrics: false } });
    await app!.listen(0, '127.0.0.1');
    const { port } = app!.getHttpServer().address() as { port: number };
    const answered: Record<string, number> = {};
    for (const target of ['/metrics#x', '/metrics?a=1#x', `http://127.0.0.1:${port}/metrics`, 'http://x/health/ready?y=1', '/health/live#/orders/1']) {
      answered[target] = (await rawRequest(port, target)).status;
    }
    // Express routes them all to the module's endpoints; whatever Fastify answers, it is not the app's traffic.
    if (platform === 'express') expect(Object.values(answered)).toEqual([200, 200, 200, 200, 200]);
    await expectOnlyAppTraffic([], '/orders/1', '/orders/:id');
    // An app route with a fragment (in absolute form on Express, which routes that) is measured by its route, as usual.
    const appTarget = platform === 'express' ? `http://127.0.0.1:${port}/orders/2#top` : '/orders/2#top';
    expect((await rawRequest(port, appTarget)).status).toBe(200);
    expect(await recordedRoutes(app!)).toEqual({ '/orders/:id': 2 });
  });

  it('when excludePaths is set to other paths, the own endpoints stay excluded', async () => {
    await boot({ metrics: { defaultMetrics: false, http: { excludePaths: ['/orders/admin/*'] } }, tracing: { excludePaths: ['/orders/admin/*'] } });
    await expectOnlyAppTraffic([['/metrics', 200], ['/health/ready', 200], ['/Orders/Admin/7', platform === 'express' ? 403 : 404]], '/orders/1', '/orders/:id');
  });

  it('under URI versioning with a default version, /v1/metrics is not traffic either', async () => {
    await boot({ metrics: { defaultMetrics: false } }, (a) => a.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' }));
    await expectOnlyAppTraffic([['/v1/metrics', 200], ['/v1/health/ready', 200]], '/v1/orders/1', '/v1/orders/:id');
  });
});
