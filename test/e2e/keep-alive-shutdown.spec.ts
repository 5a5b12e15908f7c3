import { rmSync } from 'node:fs';
import { startKeepAliveLoad } from '../support/keep-alive-load';
import { buildSample, freePort, repoTempDir, SampleProcess } from '../support/sample-process';

const DRAIN_MS = 1000;
const SHUTDOWN_TIMEOUT_MS = 2500;
const REQUEST_MS = 400;
const CONNECTIONS = 30;
/** Process start-up aside, what closing takes beyond the requests: other hooks, the pricing child, exit. */
const MARGIN_MS = 1500;

/**
 * SIGTERM under keep-alive load, on the real sample process: clients that never let their connection go
 * idle must not hold the process past the bound, and no request the app accepted may be cut off.
 */
let buildDir: string;
let mainJs: string;
// One build for both adapters (the sample picks its adapter from HTTP_ADAPTER).
beforeAll(() => {
  buildDir = repoTempDir('keep-alive');
  mainJs = buildSample(buildDir);
}, 120_000);
afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

describe.each(['express', 'fastify'])('SIGTERM under keep-alive load on %s', (adapter) => {
  let sample: SampleProcess | undefined;
  afterEach(() => {
    if (sample?.running) sample.child.kill('SIGKILL');
  });

  it(`stops within drain + shutdownTimeoutMs + margin with ${CONNECTIONS} connections looping a ${REQUEST_MS} ms request; only a request past the bound is cut off`, async () => {
    const port = await freePort();
    sample = new SampleProcess(mainJs, {
      PORT: String(port),
      PRICING_PORT: String(await freePort()),
      HTTP_ADAPTER: adapter,
      DRAIN_DELAY_MS: String(DRAIN_MS),
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
      OTEL_TRACES_EXPORTER: 'none',
    });
    await sample.listening(60_000);
    let sigtermAt = Infinity;
    const load = startKeepAliveLoad(`http://127.0.0.1:${port}/orders/slow?ms=${REQUEST_MS}`, CONNECTIONS);
    // One request longer than the bound: it alone is cut off, at the bound, and said so.
    const tooLong = fetch(`http://127.0.0.1:${port}/orders/slow?ms=${SHUTDOWN_TIMEOUT_MS + DRAIN_MS + 10_000}`).then(
      (r) => `answered ${r.status}`,
      (error: Error) => `failed after ${Date.now() - sigtermAt} ms: ${String((error.cause as Error)?.message ?? error.message)}`,
    );
    await new Promise((r) => setTimeout(r, REQUEST_MS * 2));
    sigtermAt = Date.now();
    sample.child.kill('SIGTERM');

    // The bound: drain, then the requests in flight (REQUEST_MS here, SHUTDOWN_TIMEOUT_MS at most), then a margin.
    const bound = DRAIN_MS + SHUTDOWN_TIMEOUT_MS + MARGIN_MS;
    const exit = await Promise.race([sample.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), bound + 3000))]);
    const stoppedAfter = Date.now() - sigtermAt;
    const seen = await load.stop();
    console.log(adapter, stoppedAfter, JSON.stringify(seen), sample.output.split("\n").filter((l) => /Observability|refusing|503/.test(l)).join("\n"));

    expect(exit).toEqual({ code: 0, signal: null });
    // The long request holds the process exactly until the bound, no longer.
    expect(stoppedAfter).toBeGreaterThanOrEqual(DRAIN_MS + SHUTDOWN_TIMEOUT_MS);
    expect(stoppedAfter).toBeLessThan(bound);
    expect(await tooLong).toMatch(/^failed after \d+ ms: other side closed$/);
    expect(sample.output).toContain(`HTTP server: 1 connection(s) still open after health.shutdownTimeoutMs (${SHUTDOWN_TIMEOUT_MS} ms) are closed now`);
    // Served through the drain, then refused: nothing else cut off, no 503 to a client whose request was accepted.
    expect(seen.failures).toEqual([]);
    expect(Object.keys(seen.statuses)).toEqual(['200']);
    expect(seen.statuses[200]).toBeGreaterThan(CONNECTIONS * 2);
    expect(seen.connectionClose).toBeGreaterThanOrEqual(CONNECTIONS);
  }, 120_000);
});
