/**
 * `metrics.cluster` while a worker is replaced (pm2 reload), deterministically: the states a scrape can
 * meet in the middle of a worker's retirement are laid out in the shared directory by hand, so that
 * no timing decides whether the bug shows. Two apps in one process sharing a directory are two workers.
 *
 * Why: a CI run saw a summed http_server_request_duration_seconds_* go down during a pm2 reload
 * (5375 -> 5315). The floor of each worker guards its own answers only; a scrape answered by another
 * worker that reads a leaving worker's counts from an older source than the previous scrape did shows less.
 */
import { INestApplication } from '@nestjs/common';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ObservabilityModule } from '../../lib';
import { createTestApp, sampleValue } from '../fixtures/create-test-app';
import { OrdersModule } from '../fixtures/orders.app';

const HTTP_COUNT = 'http_server_request_duration_seconds_count';
const ROUTE = { http_route: '/orders/:id' };

describe('metrics.cluster during a reload', () => {
  let dir: string;
  const apps: INestApplication[] = [];
  const boot = async () => {
    const app = await createTestApp('express', {
      imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false, cluster: { directory: dir, app: 'orders' } }, health: false }), OrdersModule],
    });
    apps.push(app);
    return app;
  };
  const scrape = async (app: INestApplication) => sampleValue((await request(app.getHttpServer()).get('/metrics').expect(200)).text, HTTP_COUNT, ROUTE);
  const hit = async (app: INestApplication, n: number) => {
    for (let i = 0; i < n; i++) await request(app.getHttpServer()).get('/orders/1').expect(200);
  };
  const close = async (app: INestApplication) => {
    apps.splice(apps.indexOf(app), 1);
    await app.close();
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'obs-reload-'));
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads a leaving worker's counts from its dead file, not from an older answer, when it is caught between its two retirement steps", async () => {
    const a = await boot();
    const b = await boot();
    const old = await boot();
    await hit(old, 3);
    // b last heard 3 from the old worker; a hears 8 (and the old worker's file holds 8 before a sees it).
    expect(await scrape(b)).toBe(3);
    await hit(old, 5);
    expect(await scrape(a)).toBe(8);
    await close(old);
    const dead = readdirSync(dir).filter((f) => f.startsWith('dead-'));
    expect(dead).toHaveLength(1);
    // The old worker renames its file to dead-<id>.json, then removes its socket: a scrape that lists the
    // directory in between sees a worker (its socket) that refuses, whose pid is alive, with no w-<id>.json.
    writeFileSync(join(dir, dead[0].replace(/^dead-(.*)\.json$/, 'w-$1.sock')), '');
    // b must not fall back to the 3 it last heard (a decrease from a's 8): the dead file holds 8.
    expect(await scrape(b)).toBe(8);
    expect(await scrape(a)).toBe(8);
  });

  it('never counts a worker twice when it answered a scrape and its dead file exists too', async () => {
    const a = await boot();
    const old = await boot();
    await hit(old, 4);
    await hit(a, 1);
    expect(await scrape(a)).toBe(5);
    await close(old);
    // Once gone, its counts come from its dead file, once.
    expect(await scrape(a)).toBe(5);
    await hit(a, 1);
    expect(await scrape(a)).toBe(6);
  });
});
