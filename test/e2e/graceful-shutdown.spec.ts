import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../support/free-port';
import { OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver';

const ROOT = join(__dirname, '..', '..');

const NODE = join(ROOT, 'node_modules', '.bin', 'node');
const DRAIN_MS = 1500;

/** The sample service as Kubernetes runs it: a real process that receives SIGTERM. */
class SampleProcess {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;

  constructor(env: Record<string, string>) {
    const { NODE_OPTIONS: _ignored, ...parentEnv } = process.env;
    this.child = spawn(NODE, [join(ROOT, 'dist-sample', 'sample', 'main.js')], { env: { ...parentEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk) => (this.output += chunk));
    this.child.stderr!.on('data', (chunk) => (this.output += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  }

  async listening(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!/listening on http:\/\/127\.0\.0\.1:\d+/.test(this.output)) {
      if (Date.now() > deadline || this.child.exitCode !== null) throw new Error(`The sample did not start:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

describe('graceful shutdown of a real process on SIGTERM', () => {
  let receiver: OtlpReceiver;
  let sample: SampleProcess | undefined;

  beforeAll(() => {
    const build = spawnSync(NODE, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'sample', 'tsconfig.app.json')], { encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`Building the sample failed:\n${build.stdout}${build.stderr}`);
  }, 120_000);

  afterEach(async () => {
    if (sample && sample.child.exitCode === null && sample.child.signalCode === null) sample.child.kill('SIGKILL');
    await receiver?.close();
  });

  it('fails readiness at once, keeps serving through the drain, finishes requests in flight, flushes spans last, exits 0', async () => {
    receiver = await startOtlpReceiver();
    const port = await freePort();
    sample = new SampleProcess({
      PORT: String(port),
      DRAIN_DELAY_MS: String(DRAIN_MS),
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      // Nothing is exported before shutdown: the spans received prove the final flush.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    await sample.listening();
    const base = `http://127.0.0.1:${port}`;
    expect((await fetch(`${base}/health/ready`)).status).toBe(200);

    const inFlight = fetch(`${base}/orders/slow?ms=1200`).then(async (r) => ({ status: r.status, body: await r.json(), at: Date.now() }));
    await new Promise((r) => setTimeout(r, 100));
    const sigtermAt = Date.now();
    sample.child.kill('SIGTERM');

    // Readiness fails at once…
    let readiness = 0;
    for (let i = 0; i < 20 && readiness !== 503; i++) {
      readiness = (await fetch(`${base}/health/ready`)).status;
      if (readiness !== 503) await new Promise((r) => setTimeout(r, 10));
    }
    expect(readiness).toBe(503);
    expect(Date.now() - sigtermAt).toBeLessThan(500);
    // …liveness does not, and new requests are still served during the drain.
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    const during: number[] = [];
    while (Date.now() - sigtermAt < DRAIN_MS - 300) {
      during.push((await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"item":"lamp"}' })).status);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(during.length).toBeGreaterThan(3);
    expect(during.every((status) => status === 201)).toBe(true);

    const slow = await inFlight;
    expect(slow.status).toBe(200);
    expect(slow.body).toEqual({ waitedMs: 1200 });

    const exit = await sample.exited;
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
    expect(exit.at - sigtermAt).toBeGreaterThanOrEqual(DRAIN_MS);
    expect(sample.output).toContain(`SIGTERM: readiness reports 503; draining for ${DRAIN_MS} ms before shutting down.`);

    // The spans of the requests served during the drain reached the Collector: the flush came last.
    const names = receiver.spans.map((s) => s.name);
    expect(names).toContain('GET /orders/slow');
    expect(names.filter((n) => n === 'POST /orders')).toHaveLength(during.length);
  }, 60_000);
});
