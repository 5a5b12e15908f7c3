import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { down, HealthIndicatorDefinition, ObservabilityModule, ObservabilityModuleOptions, up } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';

/** Log lines the module wrote, by level. */
interface CapturedLog {
  warn: string[];
  log: string[];
}

const SECRET_URL = 'postgres://orders_admin:S3cr3t-P4ss@db.internal:5432/orders';

describe.each(PLATFORMS)('health probes under faulty indicators on %s', (platform) => {
  let app: INestApplication | undefined;
  let logs: CapturedLog;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  const start = async (indicators: HealthIndicatorDefinition[], health: ObservabilityModuleOptions['health'] = {}) => {
    logs = { warn: [], log: [] };
    app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false }, health: { ...health, indicators } })] }, (a) =>
      a.useLogger({ log: (m: string) => logs.log.push(m), warn: (m: string) => logs.warn.push(m), error: (m: string) => logs.warn.push(m), debug() {}, verbose() {} }),
    );
  };
  const ready = () => request(app!.getHttpServer()).get('/health/ready');
  const healthy: HealthIndicatorDefinition = { name: 'healthy', check: () => up({ latencyMs: 2 }) };

  it('writes circular and BigInt details safely, says so in the body and once in the log, keeps the others (200, not 500)', async () => {
    const pool: Record<string, unknown> = { size: 3 };
    pool.self = pool;
    await start([healthy, { name: 'pool', check: () => up({ pool, rows: 12345678901234567890n }) }]);
    for (let i = 0; i < 3; i++) {
      const res = await ready().expect(200);
      expect(res.body.details.pool).toEqual({
        status: 'up',
        pool: { size: 3, self: '[unserializable: circular reference]' },
        rows: '[unserializable: BigInt 12345678901234567890]',
      });
      expect(res.body.details.healthy).toEqual({ status: 'up', latencyMs: 2 });
    }
    const said = logs.warn.filter((m) => m.includes('"pool"') && m.includes('JSON cannot write'));
    expect(said).toHaveLength(1);
    expect(said[0]).toContain('pool.self: circular reference');
    expect(said[0]).toContain('rows: BigInt 12345678901234567890');
  });

  it('keeps a down() with unserializable details as down (503, not 500) with the other results', async () => {
    const error: Record<string, unknown> = { code: 'ECONNRESET' };
    error.cause = { parent: error };
    await start([healthy, { name: 'queue', check: () => down({ message: 'broker gone', error, backlog: 10n }) }]);
    const res = await ready().expect(503);
    expect(res.body.error.queue).toEqual({
      status: 'down',
      message: 'broker gone',
      error: { code: 'ECONNRESET', cause: { parent: '[unserializable: circular reference]' } },
      backlog: '[unserializable: BigInt 10]',
    });
    expect(res.body.info.healthy).toEqual({ status: 'up', latencyMs: 2 });
  });

  it('reports a result whose status getter throws as down, naming the error, and keeps the others', async () => {
    await start([
      healthy,
      {
        name: 'weird',
        check: () => ({
          get status(): string {
            throw new Error('status is not ready');
          },
        }),
      },
      { name: 'getter', check: () => up({ get lag(): number { throw new Error('lag unknown'); }, ok: true }) },
    ]);
    const res = await ready().expect(503);
    expect(res.body.error.weird).toEqual({ status: 'down', message: "the check's result could not be read: status is not ready" });
    expect(res.body.info.getter).toEqual({ status: 'up', lag: '[unserializable: reading it threw "lag unknown"]', ok: true });
    expect(res.body.info.healthy.status).toBe('up');
  });

  it.each([
    ['a number', 42, 'the number 42'],
    ['a string', 'garbage', 'the string "garbage"'],
    ['an array', [1, 2, 3], 'an array of 3 items'],
    ['null', null, 'null'],
    ['a plain object', { latencyMs: 3 }, 'an object with keys latencyMs'],
    ['a Terminus result with another status', { db: { status: 'unknown' } }, 'status the string "unknown"'],
  ])('reports %s as down, naming what it got', async (_what, value, named) => {
    await start([healthy, { name: 'odd', check: () => value }]);
    const res = await ready().expect(503);
    expect(res.body.error.odd.status).toBe('down');
    expect(res.body.error.odd.message).toContain(named);
  });

  it('counts up(), true, undefined and a Terminus up result as up; down(), false and a Terminus down result as down', async () => {
    await start([
      { name: 'a', check: () => up() },
      { name: 'b', check: () => true },
      { name: 'c', check: () => undefined },
      { name: 'd', check: async () => ({ d: { status: 'up', version: '16' } }) },
      { name: 'e', check: () => down('no') },
      { name: 'f', check: () => false },
      { name: 'g', check: () => ({ g: { status: 'down', message: 'lagging' } }) },
    ]);
    const res = await ready().expect(503);
    expect(Object.keys(res.body.info).sort()).toEqual(['a', 'b', 'c', 'd', 'shutdown']);
    expect(res.body.info.d).toEqual({ status: 'up', version: '16' });
    expect(res.body.error).toEqual({
      e: { status: 'down', message: 'no' },
      f: { status: 'down', message: 'the check returned false' },
      g: { status: 'down', message: 'lagging' },
    });
  });

  it('recovers after a check that hung once (it ignores its AbortSignal): the hung call stays pending, the next probe runs a fresh check and answers 200', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    // The first call hangs (a driver without a query timeout); the dependency then recovers.
    const check = () => (++calls === 1 ? new Promise<void>((resolve) => (release = resolve)) : up({ latencyMs: 1 }));
    await start([healthy, { name: 'orders-db', timeoutMs: 300, check }]);
    const first = await ready().expect(503);
    expect(first.body.error['orders-db'].message).toBe('timed out after 300 ms');
    for (let i = 0; i < 3; i++) expect((await ready().expect(200)).body.info['orders-db']).toEqual({ status: 'up', latencyMs: 1 });
    const metrics = (await request(app!.getHttpServer()).get('/metrics')).text;
    expect(sampleValue(metrics, 'health_checks_abandoned_running', { indicator: 'orders-db' })).toBe(1);
    expect(sampleValue(metrics, 'health_checks_abandoned_total', { indicator: 'orders-db' })).toBe(1);
    release();
  });

  it.each([1, 3])('starts no check once health.maxAbandonedChecks (%i) hung calls are pending, says so, counts them; a late one frees its place', async (max) => {
    let started = 0;
    const releases: Array<() => void> = [];
    await start([healthy, { name: 'stuck', timeoutMs: 50, check: () => (started++, new Promise<void>((resolve) => releases.push(resolve))) }], { maxAbandonedChecks: max });
    for (let i = 0; i < max; i++) expect((await ready().expect(503)).body.error.stuck.message).toBe('timed out after 50 ms');
    for (let i = 0; i < 3; i++) {
      const res = await ready().expect(503);
      expect(res.body.error.stuck.message).toMatch(
        new RegExp(`^previous check still running \\(${max} timed out, the oldest [\\d.]+ s ago, and ignore their AbortSignal\\); not starting another$`),
      );
      expect(res.body.info.healthy.status).toBe('up');
    }
    expect(started).toBe(max);
    let metrics = (await request(app!.getHttpServer()).get('/metrics')).text;
    expect(sampleValue(metrics, 'health_checks_abandoned_running', { indicator: 'stuck' })).toBe(max);
    expect(sampleValue(metrics, 'health_checks_abandoned_total', { indicator: 'stuck' })).toBe(max);
    // The oldest settles late: its place is free, the next probe runs a fresh check.
    releases[0]();
    await new Promise((r) => setTimeout(r, 10));
    metrics = (await request(app!.getHttpServer()).get('/metrics')).text;
    expect(sampleValue(metrics, 'health_checks_abandoned_running', { indicator: 'stuck' })).toBe(max - 1);
    expect((await ready().expect(503)).body.error.stuck.message).toBe('timed out after 50 ms');
    expect(started).toBe(max + 1);
    for (const release of releases) release();
  });

  it('redacts credentials from the readiness body and the log by default; status codes unchanged', async () => {
    await start([
      healthy,
      { name: 'orders-db', check: () => Promise.reject(new Error(`connect ECONNREFUSED ${SECRET_URL}`)) },
      { name: 'cache', check: () => up({ url: 'redis://:hunter2@cache:6379', password: 'hunter2', dsn: 'Server=db;User Id=sa;Password=Pa55;' }) },
    ]);
    const res = await ready().expect(503);
    expect(res.text).not.toContain('S3cr3t-P4ss');
    expect(res.text).not.toContain('hunter2');
    expect(res.text).not.toContain('Pa55');
    expect(res.body.error['orders-db']).toEqual({ status: 'down', message: 'connect ECONNREFUSED postgres://orders_admin:***@db.internal:5432/orders' });
    expect(res.body.info.cache).toEqual({ status: 'up', url: 'redis://:***@cache:6379', password: '***', dsn: 'Server=db;User Id=sa;Password=***;' });
    const said = logs.warn.filter((m) => m.includes('"orders-db"'));
    expect(said).toEqual(['Health indicator "orders-db" (readiness) is down: connect ECONNREFUSED postgres://orders_admin:***@db.internal:5432/orders']);
    expect(JSON.stringify(logs)).not.toContain('S3cr3t-P4ss');
  });
});

describe.each(PLATFORMS)('probe body cap on %s', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('cuts a 20 MB detail down to health.maxBodyBytes: statuses and messages kept, status code unchanged, said once', async () => {
    const warnings: string[] = [];
    const huge = 'x'.repeat(20 * 1024 * 1024);
    app = await createTestApp(
      platform,
      {
        imports: [
          ObservabilityModule.forRoot({
            metrics: false,
            health: {
              indicators: [
                { name: 'dump', check: () => up({ rows: huge }) },
                { name: 'queue', check: () => down({ message: 'broker gone', backlog: huge }) },
              ],
            },
          }),
        ],
      },
      (a) => a.useLogger({ log() {}, warn: (m: string) => warnings.push(m), error: (m: string) => warnings.push(m), debug() {}, verbose() {} }),
    );
    for (let i = 0; i < 2; i++) {
      const res = await request(app.getHttpServer()).get('/health/ready').expect(503);
      expect(Buffer.byteLength(res.text)).toBeLessThanOrEqual(65536);
      expect(res.body.status).toBe('error');
      expect(res.body.error.queue).toEqual({ status: 'down', message: 'broker gone', detailsOmitted: true });
      expect(res.body.info.dump).toEqual({ status: 'up', detailsOmitted: true });
    }
    const said = warnings.filter((m) => m.includes('health.maxBodyBytes'));
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^The readiness probe's body was \d+ bytes, above health\.maxBodyBytes \(65536\)/);
    // A body within the cap is untouched.
    await request(app.getHttpServer()).get('/health/live').expect(200).expect((r) => expect(r.body.info.process.pid).toBe(process.pid));
  }, 60_000);
});
