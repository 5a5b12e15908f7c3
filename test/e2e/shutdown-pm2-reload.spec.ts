/**
 * `pm2 reload` of a 4-worker cluster under kept-alive load: pm2 starts a new worker, then sends the
 * old one SIGINT, and SIGKILLs it `kill_timeout` later. The drain (SIGINT drains under pm2) must lose
 * no request. pm2 runs with its own PM2_HOME and is killed after.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { startKeepAliveLoad } from '../support/keep-alive-load';
import { buildSample, freePort, NODE, repoTempDir, ROOT } from '../support/sample-process';

const PM2 = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'shutdown-app.js');
const WORKERS = 4;

let scratch: string;
beforeAll(() => {
  scratch = repoTempDir('shutdown-pm2');
  buildSample(scratch);
}, 120_000);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

it(`pm2 reload of ${WORKERS} workers under kept-alive load (20 clients on a fast route, 5 on a 300 ms route): no request lost`, async () => {
  const port = await freePort();
  const { NODE_OPTIONS: _ignored, ...parent } = process.env;
  const env = { ...parent, PATH: `${join(ROOT, 'node_modules', '.bin')}${delimiter}${parent.PATH ?? ''}`, PM2_HOME: join(scratch, 'pm2') };
  const pm2 = (...args: string[]) => {
    const result = spawnSync(NODE, [PM2, ...args], { env, encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0) throw new Error(`pm2 ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
    return result.stdout;
  };
  const ecosystem = join(scratch, 'ecosystem.json');
  writeFileSync(
    ecosystem,
    JSON.stringify({
      apps: [
        {
          name: 'drain-fixture',
          script: FIXTURE,
          instances: WORKERS,
          exec_mode: 'cluster',
          // Above drain + settle + the longest request + Nest's close: pm2's default (1600 ms) is not.
          kill_timeout: 6000,
          env: { LIB: join(scratch, 'lib'), PORT: String(port), DRAIN_DELAY_MS: '500', SHUTDOWN_TIMEOUT_MS: '3000', OTEL_TRACES_EXPORTER: 'none' },
        },
      ],
    }),
  );
  try {
    pm2('start', ecosystem);
    const online = () => (JSON.parse(pm2('jlist')) as Array<{ pm2_env: { status: string } }>).filter((p) => p.pm2_env.status === 'online').length;
    for (let i = 0; i < 100 && !(online() === WORKERS && (await fetch(`http://127.0.0.1:${port}/fast`).then((r) => r.ok, () => false))); i++) {
      await new Promise((r) => setTimeout(r, 300));
    }
    const fast = startKeepAliveLoad(`http://127.0.0.1:${port}/fast`, 20);
    const slow = startKeepAliveLoad(`http://127.0.0.1:${port}/slow?ms=300`, 5);
    await new Promise((r) => setTimeout(r, 1000));
    // Not spawnSync: the clients must keep sending (a blocked event loop would leave their sockets idle
    // past the server's keepAliveTimeout, which closes them: a reset that is the test's, not the drain's).
    const reload = spawn(NODE, [PM2, 'reload', 'drain-fixture'], { env, stdio: 'ignore' });
    expect(await new Promise((resolve) => reload.once('exit', resolve))).toBe(0);
    await new Promise((r) => setTimeout(r, 1000));
    const seen = [await fast.stop(), await slow.stop()];
    // Every worker's output, old and new (pm2 writes one file per instance).
    const logDir = join(env.PM2_HOME, 'logs');
    const logs = readdirSync(logDir).map((file) => readFileSync(join(logDir, file), 'utf8')).join('\n');

    // Every request a worker accepted was answered 200: none cut off, none reset. (Connections refused
    // while pm2 swaps workers are counted by the clients but not asserted here: see docs/workers-and-management.md.)
    for (const clients of seen) {
      expect({ failures: clients.failures, resets: clients.resetBeforeAccept }).toEqual({ failures: [], resets: 0 });
      expect(Object.keys(clients.statuses)).toEqual(['200']);
    }
    process.stdout.write(`pm2 reload: ${seen[0].statuses[200] + seen[1].statuses[200]} answered, ${seen[0].refused + seen[1].refused} refused\n`);
    expect(seen[0].statuses[200]).toBeGreaterThan(500);
    // Each old worker drained on pm2's SIGINT, and none was cut off at the bound.
    expect(logs.match(/SIGINT: readiness reports 503; draining for 500 ms/g)?.length).toBe(WORKERS);
    expect(logs.match(/SIGINT: drained, every connection closed/g)?.length).toBe(WORKERS);
    expect(logs).not.toContain('still open after health.shutdownTimeoutMs');
  } finally {
    spawnSync(NODE, [PM2, 'kill'], { env, encoding: 'utf8', timeout: 30_000 });
  }
}, 180_000);
