import { INestApplication } from '@nestjs/common';
import { MemoryHealthIndicator } from '@nestjs/terminus';
import request from 'supertest';
import { HealthProbeService, ObservabilityModule, ObservabilityModuleOptions } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';
import { FakeDatabase, Flaky, StartupSpy, StartupSpyModule, StorageModule } from '../fixtures/health.app';

const health = (options: ObservabilityModuleOptions['health'] = {}) => ({
  imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false }, health: options }), StorageModule],
});

describe.each(PLATFORMS)('health probes on %s', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  const get = (path: string) => request(app!.getHttpServer()).get(path);

  it('answers liveness without external checks, in Terminus format', async () => {
    app = await createTestApp(platform, health());
    app.get(FakeDatabase).healthy = false;
    const res = await get('/health/live').expect(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      status: 'ok',
      info: { process: { status: 'up', pid: process.pid, uptimeSeconds: expect.any(Number) } },
      error: {},
      details: { process: { status: 'up', pid: process.pid, uptimeSeconds: expect.any(Number) } },
    });
    expect(app.get(FakeDatabase).pings).toBe(0);
  });

  it('runs the discovered indicators, with their injected dependencies, in readiness: 200 up, 503 down', async () => {
    app = await createTestApp(platform, health());
    const ready = await get('/health/ready').expect(200);
    expect(ready.body.info).toEqual({ shutdown: { status: 'up' }, database: { status: 'up', latencyMs: 3 }, cache: { status: 'up' } });
    app.get(FakeDatabase).healthy = false;
    const down = await get('/health/ready').expect(503);
    expect(down.body.status).toBe('error');
    expect(down.body.error).toEqual({ database: { status: 'down', message: 'connection refused' } });
    expect(down.body.info.cache).toEqual({ status: 'up' });
  });

  it('reports a throwing indicator as down (503, not 500) without a stack trace', async () => {
    app = await createTestApp(platform, health());
    app.get(Flaky).mode = 'throw';
    const res = await get('/health/ready').expect(503);
    expect(res.body.error.cache).toEqual({ status: 'down', message: 'cannot read properties of undefined (reading "get")' });
    expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.(ts|js):\d+/);
  });

  it('reports a hanging indicator as down after its timeout, and aborts its signal', async () => {
    app = await createTestApp(platform, health());
    app.get(Flaky).mode = 'hang';
    const started = Date.now();
    const res = await get('/health/ready').expect(503);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.body.error.cache).toEqual({ status: 'down', message: 'timed out after 100 ms' });
    expect(res.body.info.database.status).toBe('up');
    expect(app.get(Flaky).aborted).toBe(true);
  });

  it('bounds a whole probe by the deadline', async () => {
    app = await createTestApp(platform, health({ deadlineMs: 150, timeoutMs: 5000, indicators: [{ name: 'slow', check: () => new Promise(() => undefined) }] }));
    const started = Date.now();
    const res = await get('/health/ready').expect(503);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.body.error.slow.message).toMatch(/^timed out after 1[0-5]\d ms$/);
  });

  it('lets concurrent probes share the run in flight', async () => {
    app = await createTestApp(platform, health());
    const db = app.get(FakeDatabase);
    // Long enough for all 20 requests to arrive while the first check runs, even on a loaded machine.
    db.delayMs = 1_000;
    const answers = await Promise.all(Array.from({ length: 20 }, () => get('/health/ready')));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(db.pings).toBe(1);
    await get('/health/ready').expect(200);
    expect(db.pings).toBe(2);
  });

  it('reuses results for cacheTtlMs', async () => {
    app = await createTestApp(platform, health({ cacheTtlMs: 60_000 }));
    await get('/health/ready').expect(200);
    await get('/health/ready').expect(200);
    expect(app.get(FakeDatabase).pings).toBe(1);
  });

  it('hides details when the policy is never', async () => {
    app = await createTestApp(platform, health({ details: 'never' }));
    expect((await get('/health/ready').expect(200)).body).toEqual({ status: 'ok' });
    app.get(FakeDatabase).healthy = false;
    expect((await get('/health/ready').expect(503)).body).toEqual({ status: 'error' });
  });

  it('keeps an indicator whose details use the reserved "status" key', async () => {
    app = await createTestApp(platform, health());
    app.get(Flaky).mode = 'status-key';
    const res = await get('/health/ready').expect(200);
    expect(res.body.info.cache).toEqual({ status: 'up', reportedStatus: 'degraded-but-serving', hits: 10 });
  });

  it('exports indicator states and check durations as metrics', async () => {
    app = await createTestApp(platform, health());
    await get('/health/ready').expect(200);
    let text = (await get('/metrics')).text;
    expect(sampleValue(text, 'health_indicator_status', { indicator: 'database', probe: 'readiness' })).toBe(1);
    expect(sampleValue(text, 'health_check_duration_seconds_count', { indicator: 'database', probe: 'readiness' })).toBe(1);
    app.get(FakeDatabase).healthy = false;
    await get('/health/ready').expect(503);
    text = (await get('/metrics')).text;
    expect(sampleValue(text, 'health_indicator_status', { indicator: 'database', probe: 'readiness' })).toBe(0);
    expect(sampleValue(text, 'health_indicator_status', { indicator: 'cache', probe: 'readiness' })).toBe(1);
  });

  it("registers Terminus' built-in indicators and liveness thresholds the same way", async () => {
    app = await createTestApp(platform, health({
      indicators: [{ name: 'heap', probes: ['liveness'], inject: [MemoryHealthIndicator], check: (memory: MemoryHealthIndicator) => memory.checkHeap('heap', 1) }],
      liveness: { maxHeapUsedBytes: 1 },
    }));
    const res = await get('/health/live').expect(503);
    expect(res.body.error.heap.status).toBe('down');
    expect(res.body.error.process.message).toMatch(/^heap used \d+ bytes is above 1 bytes$/);
  });

  it('serves configured paths', async () => {
    app = await createTestApp(platform, health({ path: '/internal/probes', probePaths: { liveness: 'alive', readiness: 'serving' } }));
    await get('/internal/probes/alive').expect(200);
    await get('/internal/probes/serving').expect(200);
    await get('/internal/probes/startup').expect(200);
    await get('/health/live').expect(404);
  });

  it('fails readiness, and only readiness, once shutting down', async () => {
    app = await createTestApp(platform, health());
    app.get(HealthProbeService).markShuttingDown();
    const res = await get('/health/ready').expect(503);
    expect(res.body.error.shutdown).toEqual({ status: 'down', message: 'shutting down' });
    await get('/health/live').expect(200);
  });
});

describe('the startup probe', () => {
  it('fails until the app has bootstrapped, then follows the startup indicators', async () => {
    const app = await createTestApp('express', { imports: [...health().imports, StartupSpyModule] });
    try {
      // Asked from another module's onModuleInit: the module is initialised, the app not yet bootstrapped.
      const early = app.get(StartupSpy).early!;
      expect(early.httpStatus).toBe(503);
      expect(early.body).toMatchObject({ error: { bootstrap: { status: 'down', message: 'the application is starting' } } });
      const after = await request(app.getHttpServer()).get('/health/startup').expect(200);
      expect(Object.keys(after.body.info)).toEqual(['bootstrap', 'database']);
      app.get(FakeDatabase).healthy = false;
      await request(app.getHttpServer()).get('/health/startup').expect(503);
    } finally {
      await app.close();
    }
  });
});

describe('health options', () => {
  it('rejects a bad indicator definition at boot, naming it', async () => {
    await expect(createTestApp('express', health({ indicators: [{ name: 'x', probes: ['ready' as any], check: () => true }] }))).rejects.toThrow(
      'Invalid option "health.indicators[0].probes": expected a non-empty array of "liveness", "readiness", "startup", got an array (["ready"]).',
    );
    await expect(createTestApp('express', health({ timeoutMs: 0 }))).rejects.toThrow('Invalid option "health.timeoutMs": expected a number of milliseconds from 1 to 2147483647');
  });

  it('switches off', async () => {
    const app = await createTestApp('express', { imports: [ObservabilityModule.forRoot({ health: false }), StorageModule] });
    try {
      await request(app.getHttpServer()).get('/health/live').expect(404);
    } finally {
      await app.close();
    }
  });
});
