import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startKeepAliveLoad } from '../support/keep-alive-load';
import { buildSample, freePort, repoTempDir, ROOT, SampleProcess } from '../support/sample-process';

const DRAIN_MS = 1500;
const SHUTDOWN_TIMEOUT_MS = 5000;
const FIXTURE = join(ROOT, 'test', 'fixtures', 'shutdown-app.js');

let lib: string;
let buildDir: string;
beforeAll(() => {
  buildDir = repoTempDir('shutdown-keep-alive');
  buildSample(buildDir);
  lib = join(buildDir, 'lib');
}, 120_000);
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

let app: SampleProcess | undefined;
afterEach(() => {
  if (app?.running) app.child.kill('SIGKILL');
});

async function startApp(env: Record<string, string>): Promise<string> {
  const port = await freePort();
  app = new SampleProcess(FIXTURE, {
    LIB: lib,
    PORT: String(port),
    DRAIN_DELAY_MS: String(DRAIN_MS),
    SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    OTEL_TRACES_EXPORTER: 'none',
    ...env,
  });
  await app.listening(60_000);
  return `http://127.0.0.1:${port}`;
}

describe.each(['express', 'fastify'])('the drain with kept-alive clients on %s', (adapter) => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s, 25 kept-alive clients (20 on a fast route, 5 on a 300 ms route): no request cut off, no reset, then refused; bounded exit',
    async (signal) => {
      const base = await startApp({ ADAPTER: adapter, DRAIN_SIGNALS: 'SIGTERM,SIGINT' });
      const fast = startKeepAliveLoad(`${base}/fast`, 20);
      const slow = startKeepAliveLoad(`${base}/slow?ms=300`, 5);
      await new Promise((r) => setTimeout(r, 700));
      const signalAt = Date.now();
      app!.child.kill(signal);
      const exit = await app!.exited;
      const stoppedAfter = Date.now() - signalAt;
      const seen = [await fast.stop(), await slow.stop()];

      expect(exit.code === 0 || exit.signal === signal).toBe(true);
      for (const clients of seen) {
        // Every request sent was answered 200; after the listener closed, connections were refused.
        expect(clients.failures).toEqual([]);
        expect(clients.resetBeforeAccept).toBe(0);
        expect(Object.keys(clients.statuses)).toEqual(['200']);
        expect(clients.refused).toBeGreaterThan(0);
      }
      expect(seen[0].statuses[200]).toBeGreaterThan(100);
      expect(stoppedAfter).toBeGreaterThanOrEqual(DRAIN_MS);
      expect(stoppedAfter).toBeLessThan(DRAIN_MS + SHUTDOWN_TIMEOUT_MS);
      // No connection had to be closed at the bound: each ended after a `Connection: close` answer.
      expect(app!.output).not.toContain('still open after health.shutdownTimeoutMs');
      expect(app!.output).toContain(`${signal}: readiness reports 503; draining for ${DRAIN_MS} ms before shutting down.`);
    },
    60_000,
  );

  it("runs the other modules' onModuleDestroy (a database $disconnect) only after the drain: no 500 on a database route", async () => {
    const base = await startApp({ ADAPTER: adapter });
    const load = startKeepAliveLoad(`${base}/db`, 10);
    await new Promise((r) => setTimeout(r, 500));
    app!.child.kill('SIGTERM');
    await app!.exited;
    const seen = await load.stop();
    expect(seen.failures).toEqual([]);
    expect(Object.keys(seen.statuses)).toEqual(['200']);
    expect(seen.statuses[200]).toBeGreaterThan(50);
    const output = app!.output;
    expect(output.indexOf('database disconnected')).toBeGreaterThan(output.indexOf('SIGTERM: drained'));
    expect(output.indexOf('SIGTERM: drained')).toBeGreaterThan(0);
  }, 60_000);
});
