import { CanActivate, Controller, Get, INestApplication, Injectable, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { createServer, Server } from 'node:net';
import { Agent } from 'node:http';
import request from 'supertest';
import { ManagementServer, ObservabilityConfigError, ObservabilityModule, ObservabilityTestingModule } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';
import { freePort } from '../support/free-port';
import { rawRequest } from '../support/raw-http';

@Injectable()
class DenyAllGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@Controller('hello')
class HelloController {
  @Get()
  hello() {
    return { hello: 'world' };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

/** GET on the management port, with Node's client (no keep-alive unless an agent is given). */
const get = (port: number, path: string, headers: Record<string, string> = {}, method = 'GET', agent?: Agent) => rawRequest(port, path, { headers, method, agent });

describe.each(PLATFORMS)('management port on %s', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('serves /metrics and the probes outside the pipeline (global prefix, deny-all guard), and the app port answers 404 for them', async () => {
    app = await createTestApp(
      platform,
      {
        imports: [ObservabilityTestingModule.forRoot({ management: { port: 0, host: '127.0.0.1' } }), HelloModule],
        providers: [{ provide: APP_GUARD, useClass: DenyAllGuard }],
      },
      (a) => a.setGlobalPrefix('api'),
    );
    const port = app.get(ManagementServer).port!;
    expect(port).toBeGreaterThan(0);

    // The app's port: the endpoints are gone; the app's own routes still go through its guard.
    for (const path of ['/metrics', '/api/metrics', '/health/ready', '/api/health/ready', '/api/health/live']) {
      await request(app.getHttpServer()).get(path).expect(404);
    }
    for (let i = 0; i < 3; i++) await request(app.getHttpServer()).get('/api/hello').expect(403);

    // The app's traffic as the module counted it, before any request to the management port.
    const before = await get(port, '/metrics');
    expect(before.status).toBe(200);
    expect(before.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(sampleValue(before.body, 'http_server_request_duration_seconds_count', { http_route: '/api/hello', http_response_status_code: '403' })).toBe(3);

    // The management port: no prefix, no guard.
    for (const [probe, path] of [['liveness', '/health/live'], ['readiness', '/health/ready'], ['startup', '/health/startup']]) {
      const res = await get(port, path);
      expect({ probe, status: res.status, cache: res.headers['cache-control'], body: JSON.parse(res.body).status }).toEqual({
        probe,
        status: 200,
        cache: 'no-store',
        body: 'ok',
      });
    }
    expect((await get(port, '/health/ready/')).status).toBe(200);
    expect((await get(port, '/metrics?x=1')).status).toBe(200);
    expect((await get(port, '/api/metrics')).status).toBe(404);
    expect((await get(port, '/hello')).status).toBe(404);
    const post = await get(port, '/metrics', {}, 'POST');
    expect({ status: post.status, allow: post.headers.allow }).toEqual({ status: 405, allow: 'GET, HEAD' });
    const head = await get(port, '/health/live', {}, 'HEAD');
    expect({ status: head.status, body: head.body }).toEqual({ status: 200, body: '' });

    // OpenMetrics with exemplars (the guard's 403s were traced), and the health metrics.
    const open = await get(port, '/metrics', { Accept: 'application/openmetrics-text; version=1.0.0' });
    expect(open.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(open.body.endsWith('# EOF\n')).toBe(true);
    expect(open.body).toMatch(/^http_server_request_duration_seconds_bucket\{.*http_route="\/api\/hello".*\} 3 # \{trace_id="[0-9a-f]{32}",span_id="[0-9a-f]{16}"\}/m);
    expect(sampleValue(open.body, 'health_check_duration_seconds_count', { indicator: 'shutdown', probe: 'readiness' })).toBe(2);
    // None of the management port's requests counts as the app's traffic.
    const total = (text: string) =>
      [...text.matchAll(/^http_server_request_duration_seconds_count\{.*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(total(open.body)).toBe(total(before.body));
    expect(total(before.body)).toBeGreaterThanOrEqual(3);
    expect(sampleValue(open.body, 'http_server_active_requests')).toBe(0);
  });

  it('with forRootAsync: the app port answers 404 for the endpoints, the management port serves them', async () => {
    app = await createTestApp(platform, {
      imports: [
        ObservabilityModule.forRootAsync({ useFactory: () => ({ metrics: { defaultMetrics: false }, management: { port: 0, host: '127.0.0.1' } }) }),
      ],
    });
    await request(app.getHttpServer()).get('/metrics').expect(404);
    await request(app.getHttpServer()).get('/health/live').expect(404);
    const port = app.get(ManagementServer).port!;
    expect((await get(port, '/metrics')).status).toBe(200);
    expect((await get(port, '/health/startup')).status).toBe(200);
  });

  it('serves custom paths, and only the probes when metrics.path is false', async () => {
    app = await createTestApp(platform, {
      imports: [
        ObservabilityModule.forRoot({
          metrics: { defaultMetrics: false, path: false },
          health: { path: '/_/health', probePaths: { readiness: 'readyz' } },
          management: { port: 0, host: '127.0.0.1' },
        }),
      ],
    });
    const port = app.get(ManagementServer).port!;
    expect((await get(port, '/_/health/readyz')).status).toBe(200);
    expect((await get(port, '/_/health/live')).status).toBe(200);
    expect((await get(port, '/health/ready')).status).toBe(404);
    expect((await get(port, '/metrics')).status).toBe(404);
  });

  it('fails the boot with a message that names the port when it is in use, or when the host is bad', async () => {
    const blocker: Server = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      const boot = createTestApp(platform, { imports: [ObservabilityModule.forRoot({ management: { port, host: '127.0.0.1' } })] });
      await expect(boot).rejects.toThrow(ObservabilityConfigError);
      await expect(boot).rejects.toThrow(`The management server cannot listen on port ${port} of 127.0.0.1 (option "management"): the port is already in use (EADDRINUSE).`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    const badHost = createTestApp(platform, { imports: [ObservabilityModule.forRoot({ management: { port, host: 'no-such-host.invalid' } })] });
    await expect(badHost).rejects.toThrow(new RegExp(`cannot listen on port ${port} of no-such-host\\.invalid .*the host "no-such-host\\.invalid" does not resolve`));
  });

  it('keeps readiness reachable (503) through the SIGTERM drain, then closes after the app, within a bound despite keep-alive', async () => {
    const DRAIN = 1500;
    // Stands for the handler of app.enableShutdownHooks() (which would exit the test process): the module
    // drains on SIGTERM only beside it.
    const nestHandler = () => undefined;
    process.on('SIGTERM', nestHandler);
    const keepAlive = new Agent({ keepAlive: true });
    try {
      app = await createTestApp(platform, {
        imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false }, health: { drainDelayMs: DRAIN }, management: { port: 0, host: '127.0.0.1' } })],
      });
      const port = app.get(ManagementServer).port!;
      await app.listen(0, '127.0.0.1');
      expect((await get(port, '/health/ready', {}, 'GET', keepAlive)).status).toBe(200);
      process.emit('SIGTERM', 'SIGTERM');
      const closing = app.close();
      const started = Date.now();
      const during: number[] = [];
      while (Date.now() - started < DRAIN - 400) {
        during.push((await get(port, '/health/ready', {}, 'GET', keepAlive)).status);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(during.length).toBeGreaterThanOrEqual(2);
      expect(new Set(during)).toEqual(new Set([503]));
      // From SIGTERM on its answers close the connection, so Prometheus' keep-alive lets go of the pod.
      expect((await get(port, '/metrics', {}, 'GET', keepAlive)).headers.connection).toBe('close');
      expect((await get(port, '/health/live')).status).toBe(200);
      await closing;
      app = undefined;
      // After the drain and the app's own close; a keep-alive socket left open does not hold it for its 5 s timeout.
      expect(Date.now() - started).toBeGreaterThanOrEqual(DRAIN - 50);
      expect(Date.now() - started).toBeLessThan(DRAIN + 4000);
      await expect(get(port, '/health/ready')).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      process.off('SIGTERM', nestHandler);
      keepAlive.destroy();
    }
  });
});
