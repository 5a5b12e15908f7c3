import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startKeepAliveLoad } from '../support/keep-alive-load';
import { OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver';
import { buildSample, freePort, repoTempDir, ROOT, SampleProcess } from '../support/sample-process';

const DRAIN_MS = 1000;
const SHUTDOWN_TIMEOUT_MS = 2500;
const REQUEST_MS = 400;
const CONNECTIONS = 30;
/** What closing takes beyond the drain and the requests: other hooks, exit; generous, the box is shared. */
const MARGIN_MS = 1500;
const FIXTURE = join(ROOT, 'test', 'fixtures', 'shutdown-app.js');
/** `app.enableShutdownHooks()` re-raises the signal once the app closed: the process ends by SIGTERM, after every hook. */
const CLEAN_EXIT = { code: null, signal: 'SIGTERM' };

let buildDir: string;
let lib: string;
// test/fixtures/shutdown-app.js loads the library compiled once here.
beforeAll(() => {
  buildDir = repoTempDir('shutdown');
  buildSample(buildDir);
  lib = join(buildDir, 'lib');
}, 120_000);
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

let app: SampleProcess | undefined;
afterEach(() => {
  if (app?.running) app.child.kill('SIGKILL');
});

async function startApp(env: Record<string, string>): Promise<{ base: string; app: SampleProcess }> {
  const port = await freePort();
  app = new SampleProcess(FIXTURE, { LIB: lib, PORT: String(port), DRAIN_DELAY_MS: String(DRAIN_MS), OTEL_TRACES_EXPORTER: 'none', ...env });
  await app.listening(60_000);
  return { base: `http://127.0.0.1:${port}`, app };
}

/** Resolves with the exit, or 'still running' after `ms`. */
async function exitWithin(process: SampleProcess, ms: number) {
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([process.exited, new Promise<'still running'>((r) => (timer = setTimeout(() => r('still running'), ms)))]);
  clearTimeout(timer);
  return outcome;
}

/** Readiness after SIGTERM, polled until it fails. */
async function readinessFails(base: string): Promise<number> {
  let status = 0;
  for (let i = 0; i < 50 && status !== 503; i++) {
    status = (await fetch(`${base}/health/ready`)).status;
    if (status !== 503) await new Promise((r) => setTimeout(r, 10));
  }
  return status;
}

describe.each(['express', 'fastify'])('shutdown on %s', (adapter) => {
  it(`SIGTERM under keep-alive load (${CONNECTIONS} connections looping a ${REQUEST_MS} ms request): stops within drain + shutdownTimeoutMs + margin; only a request past the bound is cut off`, async () => {
    const { base, app } = await startApp({ ADAPTER: adapter, SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
    let sigtermAt = Infinity;
    const load = startKeepAliveLoad(`${base}/slow?ms=${REQUEST_MS}`, CONNECTIONS);
    // One request longer than the bound: it alone is cut off, at the bound, and said so.
    const tooLong = fetch(`${base}/slow?ms=${DRAIN_MS + SHUTDOWN_TIMEOUT_MS + 10_000}`).then(
      (r) => `answered ${r.status}`,
      (error: Error) => `failed after ${Date.now() - sigtermAt} ms: ${String((error.cause as Error)?.message ?? error.message)}`,
    );
    await new Promise((r) => setTimeout(r, REQUEST_MS * 2));
    sigtermAt = Date.now();
    app.child.kill('SIGTERM');

    const bound = DRAIN_MS + SHUTDOWN_TIMEOUT_MS + MARGIN_MS;
    const exit = await exitWithin(app, bound + 3000);
    const stoppedAfter = Date.now() - sigtermAt;
    const seen = await load.stop();

    expect(exit).toEqual(CLEAN_EXIT);
    // The long request holds the process exactly until the bound, no longer.
    expect(stoppedAfter).toBeGreaterThanOrEqual(DRAIN_MS + SHUTDOWN_TIMEOUT_MS);
    expect(stoppedAfter).toBeLessThan(bound);
    expect(await tooLong).toMatch(/^failed after \d+ ms: other side closed$/);
    expect(app.output).toContain(`HTTP server: 1 connection(s) still open after health.shutdownTimeoutMs (${SHUTDOWN_TIMEOUT_MS} ms) are closed now`);
    // Served through the drain, then refused: nothing else cut off, no 503 to a client whose request was accepted.
    expect(seen.failures).toEqual([]);
    expect(Object.keys(seen.statuses)).toEqual(['200']);
    expect(seen.statuses[200]).toBeGreaterThan(CONNECTIONS * 2);
    // Every connection was told to close during the drain.
    expect(seen.connectionClose).toBeGreaterThanOrEqual(CONNECTIONS);
  }, 120_000);

  it.each([
    ['app.enableShutdownHooks() after listen()', { HOOKS: 'after-listen' }],
    ["Nest's return503OnClosing", { RETURN_503_ON_CLOSING: '1' }],
  ])('drains with %s: readiness 503 at once, other requests served (not 503) through the drain, exit after it', async (_case, env) => {
    // A longer drain: the requests below must land in it even on a busy machine.
    const drainMs = 3000;
    const { base, app } = await startApp({ ADAPTER: adapter, DRAIN_DELAY_MS: String(drainMs), ...env });
    const sigtermAt = Date.now();
    app.child.kill('SIGTERM');
    expect(await readinessFails(base)).toBe(503);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const during: number[] = [];
    for (let i = 0; i < 3; i++) during.push((await fetch(`${base}/slow?ms=10`)).status);
    expect(Date.now() - sigtermAt).toBeLessThan(drainMs);
    expect(during).toEqual([200, 200, 200]);
    expect(await exitWithin(app, 15_000)).toEqual(CLEAN_EXIT);
    expect(Date.now() - sigtermAt).toBeGreaterThanOrEqual(drainMs);
    expect(app.output).toContain(`SIGTERM: readiness reports 503; draining for ${drainMs} ms before shutting down.`);
  }, 120_000);
});

const KEPT_DRAIN_MS = 1500;
const KEPT_TIMEOUT_MS = 5000;

describe.each(['express', 'fastify'])('the drain with kept-alive clients on %s', (adapter) => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s, 25 kept-alive clients (20 on a fast route, 5 on a 300 ms route): no request cut off, no reset, then refused; bounded exit',
    async (signal) => {
      const { base, app } = await startApp({ ADAPTER: adapter, DRAIN_DELAY_MS: String(KEPT_DRAIN_MS), SHUTDOWN_TIMEOUT_MS: String(KEPT_TIMEOUT_MS), DRAIN_SIGNALS: 'SIGTERM,SIGINT' });
      const fast = startKeepAliveLoad(`${base}/fast`, 20);
      const slow = startKeepAliveLoad(`${base}/slow?ms=300`, 5);
      await new Promise((r) => setTimeout(r, 700));
      const signalAt = Date.now();
      app.child.kill(signal);
      const exit = await app.exited;
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
      expect(stoppedAfter).toBeGreaterThanOrEqual(KEPT_DRAIN_MS);
      expect(stoppedAfter).toBeLessThan(KEPT_DRAIN_MS + KEPT_TIMEOUT_MS);
      // No connection had to be closed at the bound: each ended after a `Connection: close` answer.
      expect(app.output).not.toContain('still open after health.shutdownTimeoutMs');
      expect(app.output).toContain(`${signal}: readiness reports 503; draining for ${KEPT_DRAIN_MS} ms before shutting down.`);
    },
    60_000,
  );

  it("runs the other modules' onModuleDestroy (a database $disconnect) only after the drain: no 500 on a database route", async () => {
    const { base, app } = await startApp({ ADAPTER: adapter, DRAIN_DELAY_MS: String(KEPT_DRAIN_MS), SHUTDOWN_TIMEOUT_MS: String(KEPT_TIMEOUT_MS) });
    const load = startKeepAliveLoad(`${base}/db`, 10);
    await new Promise((r) => setTimeout(r, 500));
    app.child.kill('SIGTERM');
    await app.exited;
    const seen = await load.stop();
    expect(seen.failures).toEqual([]);
    expect(Object.keys(seen.statuses)).toEqual(['200']);
    expect(seen.statuses[200]).toBeGreaterThan(50);
    const output = app.output;
    expect(output.indexOf('database disconnected')).toBeGreaterThan(output.indexOf('SIGTERM: drained'));
    expect(output.indexOf('SIGTERM: drained')).toBeGreaterThan(0);
  }, 60_000);
});

describe('the span flush at shutdown', () => {
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => receiver?.close());

  it('is bounded by tracing.flushTimeoutMs when the Collector never answers, and says what was not delivered', async () => {
    receiver = await startOtlpReceiver({ mode: 'hang' });
    const FLUSH_MS = 500;
    const { base, app } = await startApp({
      OTLP: '1',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_BSP_EXPORT_TIMEOUT: '10000',
      OTEL_EXPORTER_OTLP_TIMEOUT: '10000',
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      FLUSH_TIMEOUT_MS: String(FLUSH_MS),
    });
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/slow?ms=1`)).status).toBe(200);
    const sigtermAt = Date.now();
    app.child.kill('SIGTERM');
    const exit = await exitWithin(app, DRAIN_MS + 10_000);
    const stoppedAfter = Date.now() - sigtermAt;
    expect(exit).toEqual(CLEAN_EXIT);
    expect(stoppedAfter).toBeLessThan(DRAIN_MS + FLUSH_MS + MARGIN_MS);
    expect(app.output).toMatch(/Flushing telemetry did not finish within tracing\.flushTimeoutMs \(500 ms\): \d+ span\(s\) not delivered to OTLP\/HTTP protobuf at http:\/\/127\.0\.0\.1:\d+/);
  }, 60_000);
});
