/**
 * `metrics.cluster` inside one process: two app instances sharing a directory are two workers of one
 * deployment (their ids differ), which exercises the merge, the kept counts of a worker that ended,
 * readiness and the boot errors without starting processes. Real pm2 and node:cluster: cluster-workers.spec.ts.
 */
import { INestApplication } from '@nestjs/common';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { ObservabilityConfigError, ObservabilityModule } from '../../lib';
import type { ClusterMetricsOptions } from '../../lib';
import { ClusterMetricsService } from '../../lib/cluster/cluster-metrics.service';
import { createTestApp, sampleValue } from '../fixtures/create-test-app';
import { OrdersModule } from '../fixtures/orders.app';

const HTTP_COUNT = 'http_server_request_duration_seconds_count';
const ROUTE = { http_route: '/orders/:id' };

describe('metrics.cluster in one process', () => {
  let dir: string;
  const apps: INestApplication[] = [];
  const boot = async (cluster: ClusterMetricsOptions, health = false) => {
    const app = await createTestApp('express', {
      imports: [
        ObservabilityModule.forRoot({ metrics: { defaultMetrics: false, cluster: { directory: dir, app: 'orders', ...cluster } }, health: health ? {} : false }),
        OrdersModule,
      ],
    });
    apps.push(app);
    return app;
  };
  const scrape = async (app: INestApplication) => (await request(app.getHttpServer()).get('/metrics').expect(200)).text;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'obs-cluster-'));
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers with the sum over the workers, whichever receives the scrape', async () => {
    const a = await boot({});
    const b = await boot({});
    for (let i = 0; i < 3; i++) await request(a.getHttpServer()).get('/orders/1').expect(200);
    for (let i = 0; i < 2; i++) await request(b.getHttpServer()).get('/orders/2').expect(200);
    expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(5);
    expect(sampleValue(await scrape(b), HTTP_COUNT, ROUTE)).toBe(5);
    // @Counted(), @Timed() and a counter injected through DI are merged the same way.
    const text = await scrape(a);
    expect(text).toMatch(/^\w+_total\{[^}]*method="findSync"[^}]*result="success"[^}]*\} 5$/m);
    expect(text).toMatch(/^\w+_seconds_count\{[^}]*method="findSync"[^}]*result="success"[^}]*\} 5$/m);
    expect(sampleValue(text, 'orders_created_total', { channel: 'web' })).toBe(5);
  });

  it('keeps the counts of a worker that ended, and a new deployment starts from zero', async () => {
    const a = await boot({});
    const b = await boot({});
    await request(a.getHttpServer()).get('/orders/1').expect(200);
    for (let i = 0; i < 4; i++) await request(b.getHttpServer()).get('/orders/2').expect(200);
    expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(5);
    await b.close();
    apps.splice(apps.indexOf(b), 1);
    expect(readdirSync(dir).filter((f) => f.startsWith('dead-'))).toHaveLength(1);
    expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(5);
    await request(a.getHttpServer()).get('/orders/1').expect(200);
    expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(6);
    await a.close();
    apps.splice(0);
    // No worker of the deployment is alive: the next one starts a new deployment.
    const c = await boot({});
    expect(sampleValue(await scrape(c), HTTP_COUNT, ROUTE)).toBeUndefined();
    expect(readdirSync(dir).filter((f) => f.startsWith('dead-'))).toHaveLength(0);
  });

  it('keeps answering with the sum while it shuts down, its own counts read from its dead file', async () => {
    const a = await boot({});
    const b = await boot({});
    await request(a.getHttpServer()).get('/orders/1').expect(200);
    for (let i = 0; i < 3; i++) await request(b.getHttpServer()).get('/orders/2').expect(200);
    // The shutdown hook has run (as during Nest's close(), before the HTTP server closes); a scrape still arrives.
    const retiring = b.get(ClusterMetricsService).onApplicationShutdown();
    const during = scrape(b);
    await retiring;
    expect(sampleValue(await during, HTTP_COUNT, ROUTE)).toBe(4);
    expect(sampleValue(await scrape(b), HTTP_COUNT, ROUTE)).toBe(4);
    expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(4);
  });

  it('writes its file at scrape time only once it has company (a lone worker that dies starts a new deployment anyway)', async () => {
    const a = await boot({});
    const file = readdirSync(dir).find((f) => /^w-.*\.json$/.test(f))!;
    const seqOf = () => JSON.parse(readFileSync(join(dir, file), 'utf8')).seq as number;
    const before = seqOf();
    await request(a.getHttpServer()).get('/orders/1').expect(200);
    expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(1);
    expect(seqOf()).toBe(before);
    // A joining worker makes it write what it showed, so its kept counts never fall below that.
    await boot({});
    expect(seqOf()).toBeGreaterThan(before);
    expect(JSON.stringify(JSON.parse(readFileSync(join(dir, file), 'utf8')).metrics)).toContain('/orders/:id');
  });

  it('folds the kept counts of many dead workers into one file, without losing or double-counting any', async () => {
    const a = await boot({});
    let sent = 0;
    for (let i = 0; i < 6; i++) {
      const b = await boot({});
      for (let k = 0; k <= i; k++) await request(b.getHttpServer()).get('/orders/2').expect(200);
      sent += i + 1;
      await b.close();
      apps.splice(apps.indexOf(b), 1);
      expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(sent);
    }
    // The fold runs after a scrape that saw 4 or more dead files.
    for (let i = 0; i < 50 && readdirSync(dir).filter((f) => f.startsWith('dead-')).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(readdirSync(dir).filter((f) => f.startsWith('folded-'))).toHaveLength(1);
    expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(sent);
    const b = await boot({});
    await request(b.getHttpServer()).get('/orders/2').expect(200);
    expect(sampleValue(await scrape(b), HTTP_COUNT, ROUTE)).toBe(sent + 1);
  });

  it('leaves a peer that does not answer out of the scrape within peerTimeoutMs, uses its last-known values and counts the gap', async () => {
    const a = await boot({ peerTimeoutMs: 300 });
    const b = await boot({ peerTimeoutMs: 300 });
    for (let i = 0; i < 3; i++) await request(b.getHttpServer()).get('/orders/2').expect(200);
    expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(3);
    // b stops answering (as a SIGSTOPped or blocked worker would): its socket accepts and says nothing.
    const socket = readdirSync(dir).find((f) => f.endsWith('.sock') && !f.includes((a.get(ClusterMetricsService) as any).id))!;
    await (b.get(ClusterMetricsService) as any).server.close();
    const silent = createServer((s) => s.resume()).listen(join(dir, socket));
    try {
      const text = await scrape(a);
      expect(sampleValue(text, HTTP_COUNT, ROUTE)).toBe(3);
      // Counted in this worker's Registry, so the next scrape shows the first gap.
      expect(sampleValue(await scrape(a), 'cluster_peers_missed_total', { reason: 'timeout' })).toBe(1);
    } finally {
      await new Promise((r) => silent.close(r));
    }
  });

  it('peers whose series are unchanged send their values only, and a new series is sent in full', async () => {
    const a = await boot({});
    const b = await boot({});
    await request(b.getHttpServer()).get('/orders/2').expect(200);
    expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(1);
    // Same series on b: values only, added back onto the keys a holds.
    await request(b.getHttpServer()).get('/orders/2').expect(200);
    expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(2);
    // A new series on b (another route): its keys changed, the answer is whole again.
    await request(b.getHttpServer()).get('/orders/stream');
    const text = await scrape(a);
    expect(sampleValue(text, HTTP_COUNT, ROUTE)).toBe(2);
    expect(sampleValue(text, HTTP_COUNT, { http_route: '/orders/stream' })).toBe(1);
    expect(sampleValue(text, 'cluster_peers_missed_total')).toBeUndefined();
  });

  it('sums active requests and labels summaries and per-worker metrics with the worker', async () => {
    const a = await boot({ perWorker: ['http_server_active_requests'] });
    await boot({ perWorker: ['http_server_active_requests'] });
    const text = await scrape(a);
    expect(text).toMatch(new RegExp(`http_server_active_requests\\{worker="${process.pid}"\\} 0`));
  });

  it('fails the boot clearly for a directory that cannot be written, and for a second app in the same directory', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    await expect(boot({ directory: join(file, 'metrics') })).rejects.toThrow(/shared directory ".*a-file\/metrics" cannot be written \(ENOTDIR\)/);
    const readOnly = join(dir, 'read-only');
    require('node:fs').mkdirSync(readOnly);
    chmodSync(readOnly, 0o500);
    if (process.getuid?.() !== 0) await expect(boot({ directory: readOnly })).rejects.toThrow(ObservabilityConfigError);
    await boot({});
    await expect(boot({ app: 'billing' })).rejects.toThrow(/in use by another app, "orders" \(workers \d+\); this app is "billing"/);
  });

  it('reports readiness down once workers are missing for longer than the grace', async () => {
    const strict = await boot({ expectedWorkers: 2, missingWorkersGraceMs: 0 }, true);
    const ready = await request(strict.getHttpServer()).get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body.details.workers).toMatchObject({ status: 'down', alive: 1, expected: 2 });
    await boot({ expectedWorkers: 2, missingWorkersGraceMs: 0 }, true);
    await request(strict.getHttpServer()).get('/health/ready').expect(200);
    // Liveness answers for the worker that receives the probe.
    await request(strict.getHttpServer()).get('/health/live').expect(200);
  });

  it('rejects bad cluster options at boot', async () => {
    await expect(boot({ snapshotIntervalMs: 1 })).rejects.toThrow(/metrics\.cluster\.snapshotIntervalMs/);
    await expect(boot({ directory: '/tmp/' + 'x'.repeat(120) })).rejects.toThrow(/metrics\.cluster\.directory/);
    await expect(boot({ nope: 1 } as never)).rejects.toThrow(/Unknown option "metrics\.cluster\.nope"/);
  });
});
