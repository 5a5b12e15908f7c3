/**
 * Issue 24 §20–22: the shared directory of `metrics.cluster` on a shared or unlucky host. Another
 * user's directory, symlinks, an empty boot lock, a full disk, and files left by a process whose pid
 * an unrelated process has now. Two apps in one process are two workers (see cluster-metrics.spec.ts).
 */
import { INestApplication } from '@nestjs/common';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ObservabilityModule } from '../../lib';
import type { ClusterMetricsOptions } from '../../lib';
import { createTestApp, sampleValue } from '../fixtures/create-test-app';
import { OrdersModule } from '../fixtures/orders.app';

const HTTP_COUNT = 'http_server_request_duration_seconds_count';
const ROUTE = { http_route: '/orders/:id' };
const isRoot = process.getuid?.() === 0;

/** A snapshot file as a worker writes it, with one counter at `value`. */
function snapshotFile(id: string, value: number): string {
  const key = `${HTTP_COUNT}\u0000http_route\u0000/orders/:id`;
  return JSON.stringify({
    id,
    pid: Number(id.split('-')[0]),
    app: 'orders',
    seq: 1,
    writtenAt: Date.now(),
    metrics: [{ name: 'http_server_request_duration_seconds', help: 'x', type: 'histogram', aggregator: 'sum', k: [key], v: [value] }],
  });
}

describe('metrics.cluster: the shared directory on a shared or unlucky host', () => {
  let scratch: string;
  let dir: string;
  const apps: INestApplication[] = [];
  const boot = async (cluster: ClusterMetricsOptions = {}) => {
    const app = await createTestApp('express', {
      imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false, cluster: { directory: dir, app: 'orders', ...cluster } }, health: false }), OrdersModule],
    });
    apps.push(app);
    return app;
  };
  const scrape = async (app: INestApplication) => (await request(app.getHttpServer()).get('/metrics').expect(200)).text;

  beforeEach(() => {
    scratch = mkdtempSync(join(tmpdir(), 'obs-cluster-dir-'));
    dir = join(scratch, 'metrics');
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it('creates the directory with mode 0700, and refuses one that is a symlink or writable by others', async () => {
    await boot();
    expect((require('node:fs').statSync(dir).mode & 0o777).toString(8)).toBe('700');
    await apps.pop()!.close();
    chmodSync(dir, 0o777);
    await expect(boot()).rejects.toThrow(/shared directory ".*metrics" is writable by its group \(mode 777\)/);
    chmodSync(dir, 0o700);
    const link = join(scratch, 'link');
    symlinkSync(dir, link);
    dir = link;
    await expect(boot()).rejects.toThrow(/is a symbolic link/);
  });

  (isRoot ? it : it.skip)("refuses a pre-created directory owned by another user (needs root to chown)", async () => {
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, 4242, 4242);
    await expect(boot()).rejects.toThrow(/is owned by uid 4242, not by this process's user \(uid 0\)/);
  });

  it('never writes through a symlink, and counts no symlinked file', async () => {
    mkdirSync(dir, { mode: 0o700 });
    const precious = join(scratch, 'precious');
    writeFileSync(precious, 'keep me');
    // The probe's and the boot lock's temporary names are predictable.
    symlinkSync(precious, join(dir, `.probe-${process.pid}`));
    symlinkSync(precious, join(dir, `.boot.lock.${process.pid}.tmp`));
    const injected = join(scratch, 'injected.json');
    writeFileSync(injected, snapshotFile('1-aaaaaaaaaaaa', 1_000_000));
    symlinkSync(injected, join(dir, 'dead-1-aaaaaaaaaaaa.json'));
    const a = await boot();
    await boot();
    await request(a.getHttpServer()).get('/orders/1').expect(200);
    expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(1);
    expect(readFileSync(precious, 'utf8')).toBe('keep me');
  });

  it('takes over an empty or garbled boot.lock (as a full disk left it) instead of refusing every later boot', async () => {
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, 'boot.lock'), '');
    const a = await boot();
    await request(a.getHttpServer()).get('/orders/1').expect(200);
    expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(1);
    writeFileSync(join(dir, 'boot.lock'), '{"pid":');
    await boot();
    expect(readdirSync(dir).filter((f) => f.endsWith('.sock'))).toHaveLength(2);
  }, 30_000);

  it('does not take files left by a process whose pid an unrelated process now has for a live worker', async () => {
    // An unrelated process, alive, with the pid the files name; the start token in their id is not its own.
    const unrelated = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      mkdirSync(dir, { mode: 0o700 });
      const stale = `${unrelated.pid}-0123456789ab01234567`;
      writeFileSync(join(dir, 'deployment.json'), JSON.stringify({ app: 'orders', primaryPid: unrelated.pid, startedAt: Date.now() - 60_000 }));
      writeFileSync(join(dir, `w-${stale}.json`), snapshotFile(stale, 2468));
      const a = await boot();
      for (let i = 0; i < 100; i++) await request(a.getHttpServer()).get('/orders/1').expect(200);
      // A new deployment: the stale files are gone, and the sum is this worker's 100.
      expect(sampleValue(await scrape(a), HTTP_COUNT, ROUTE)).toBe(100);
      expect(readdirSync(dir).some((f) => f.includes(stale))).toBe(false);
    } finally {
      unrelated.kill('SIGKILL');
    }
  });

  (isRoot ? it : it.skip)('on a full disk: scrapes still answer with the sum, no temporary file is left, the failures are counted (needs root to mount a small tmpfs)', async () => {
    const mount = join(scratch, 'small');
    mkdirSync(mount);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', mount], { encoding: 'utf8' });
    if (mounted.status !== 0) throw new Error(`mount failed: ${mounted.stderr}`);
    try {
      dir = join(mount, 'metrics');
      const a = await boot();
      const b = await boot();
      // Fill the disk.
      spawnSync('dd', ['if=/dev/zero', `of=${join(mount, 'fill')}`, 'bs=64k', 'count=100'], { encoding: 'utf8' });
      for (let i = 0; i < 3; i++) await request(a.getHttpServer()).get('/orders/1').expect(200);
      for (let i = 0; i < 2; i++) await request(b.getHttpServer()).get('/orders/2').expect(200);
      for (let i = 0; i < 20; i++) expect(sampleValue(await scrape(i % 2 ? a : b), HTTP_COUNT, ROUTE)).toBe(5);
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
      expect(sampleValue(await scrape(a), 'cluster_snapshot_write_failures_total')).toBeGreaterThan(0);
      // Room again: writes resume.
      rmSync(join(mount, 'fill'));
      await request(a.getHttpServer()).get('/orders/1').expect(200);
      expect(sampleValue(await scrape(b), HTTP_COUNT, ROUTE)).toBe(6);
    } finally {
      for (const app of apps.splice(0)) await app.close().catch(() => undefined);
      spawnSync('umount', ['-l', mount]);
    }
  });
});
