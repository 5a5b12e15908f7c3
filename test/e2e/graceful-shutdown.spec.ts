import { rmSync } from 'node:fs';
import { OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver';
import { buildSample, freePort, repoTempDir, SampleProcess } from '../support/sample-process';

const DRAIN_MS = 1500;

describe('graceful shutdown of a real process on SIGTERM', () => {
  let receiver: OtlpReceiver;
  let sample: SampleProcess | undefined;
  let buildDir: string;
  let mainJs: string;

  beforeAll(() => {
    buildDir = repoTempDir('graceful-shutdown');
    mainJs = buildSample(buildDir);
  }, 120_000);

  afterEach(async () => {
    if (sample?.running) sample.child.kill('SIGKILL');
    await receiver?.close();
  });

  afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

  it('fails readiness at once, keeps serving through the drain, finishes requests in flight, flushes spans last, exits 0', async () => {
    receiver = await startOtlpReceiver();
    const port = await freePort();
    sample = new SampleProcess(mainJs, {
      PORT: String(port),
      PRICING_PORT: String(await freePort()),
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
    expect(Date.now() - sigtermAt).toBeGreaterThanOrEqual(DRAIN_MS);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(sample.output).toContain(`SIGTERM: readiness reports 503; draining for ${DRAIN_MS} ms before shutting down.`);

    // The spans of the requests served during the drain reached the Collector: the flush came last.
    const names = receiver.spans.map((s) => s.name);
    expect(names).toContain('GET /orders/slow');
    expect(names.filter((n) => n === 'POST /orders')).toHaveLength(during.length);
  }, 60_000);
});
