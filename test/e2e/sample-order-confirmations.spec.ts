/**
 * The sample's BullMQ queue, run as `npm start` runs it (the built sample, a real process): POST /orders
 * queues a `confirm` job on `order-confirmations` and the sample's processor confirms the order, in the
 * trace of the request. Redis comes from `REDIS_URL` (a real redis-server of test/support/brokers.ts), or
 * from a redis-server the sample starts itself when one is on PATH; with neither, the sample boots
 * without the queue, says so in one line, and still places orders.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sampleValue } from '../fixtures/create-test-app';
import { Broker, startRedis } from '../support/brokers';
import { accepts } from '../support/owned-process';
import { OTLP_SPAN_KIND, OtlpReceiver, startOtlpReceiver } from '../support/otlp-receiver';
import { buildSample, freePort, repoTempDir, SampleProcess } from '../support/sample-process';

const OFF_LINE = 'Order confirmations (BullMQ queue "order-confirmations") are off: no Redis (set REDIS_URL or install redis-server)';

async function placeOrder(base: string, item: string, quantity: number): Promise<{ id: string; status: string }> {
  const res = await fetch(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ item, quantity }) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; status: string };
}

/** Polls GET /orders/:id until the processor confirmed it; returns the order. */
async function confirmed(base: string, id: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const order = (await (await fetch(`${base}/orders/${id}`)).json()) as Record<string, unknown>;
    if (order.status === 'confirmed') return order;
    if (Date.now() > deadline) throw new Error(`order ${id} not confirmed within ${timeoutMs} ms: ${JSON.stringify(order)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the sample queues an order confirmation that its BullMQ processor handles', () => {
  let buildDir: string;
  let mainJs: string;
  let sample: SampleProcess | undefined;
  let redis: Broker | undefined;
  let receiver: OtlpReceiver | undefined;

  beforeAll(() => {
    buildDir = repoTempDir('sample-order-confirmations');
    mainJs = buildSample(buildDir);
  }, 120_000);

  afterEach(async () => {
    if (sample?.running) await sample.stop(5000);
    sample = undefined;
    await redis?.stop();
    redis = undefined;
    await receiver?.close();
    receiver = undefined;
  });

  afterAll(() => rmSync(buildDir, { recursive: true, force: true }));

  async function boot(env: Record<string, string>): Promise<string> {
    const port = await freePort();
    sample = new SampleProcess(mainJs, { PORT: String(port), PRICING_PORT: String(await freePort()), DRAIN_DELAY_MS: '0', ...env });
    await sample.listening();
    return `http://127.0.0.1:${port}`;
  }

  it('with REDIS_URL: each order is confirmed, counted on /metrics and in the trace of its POST /orders', async () => {
    redis = await startRedis();
    receiver = await startOtlpReceiver();
    const base = await boot({ REDIS_URL: redis.url, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '200' });
    expect(sample!.output).toContain(`Order confirmations: BullMQ queue "order-confirmations" on ${redis.url} (REDIS_URL)`);

    const placed = [await placeOrder(base, 'book', 2), await placeOrder(base, 'pen', 3)];
    for (const order of placed) expect(order.status).toBe('placed');
    for (const order of placed) expect(await confirmed(base, order.id)).toMatchObject({ id: order.id, status: 'confirmed', confirmedAt: expect.any(String) });
    expect(sample!.output).toContain('Order 1 confirmed (2 × book)');

    const text = await (await fetch(`${base}/metrics`)).text();
    const labels = { messaging_system: 'bullmq', messaging_destination_name: 'order-confirmations' };
    expect(sampleValue(text, 'messaging_client_sent_messages_total', labels)).toBe(2);
    expect(sampleValue(text, 'messaging_process_duration_seconds_count', { ...labels, outcome: 'success' })).toBe(2);
    expect(sampleValue(text, 'messaging_process_duration_seconds_count', { ...labels, outcome: 'failure' })).toBeUndefined();

    // Per order: POST /orders (server) → send (producer) → process (consumer, the processor), one trace.
    const deadline = Date.now() + 15_000;
    const processSpans = () => receiver!.spans.filter((s) => s.name === 'process order-confirmations');
    while (processSpans().length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const servers = receiver.spans.filter((s) => s.name === 'POST /orders' && s.kind === OTLP_SPAN_KIND.SPAN_KIND_SERVER);
    const sends = receiver.spans.filter((s) => s.name === 'send order-confirmations');
    expect(servers).toHaveLength(2);
    expect(sends).toHaveLength(2);
    expect(processSpans()).toHaveLength(2);
    for (const consumer of processSpans()) {
      const send = sends.find((s) => s.spanId === consumer.parentSpanId)!;
      expect(send.kind).toBe(OTLP_SPAN_KIND.SPAN_KIND_PRODUCER);
      expect(consumer.kind).toBe(OTLP_SPAN_KIND.SPAN_KIND_CONSUMER);
      expect(consumer.attributes).toMatchObject({ 'messaging.system': 'bullmq', 'messaging.destination.name': 'order-confirmations', 'nest.controller': 'OrderConfirmationsProcessor' });
      expect(servers.map((s) => s.traceId)).toContain(consumer.traceId);
      expect(send.traceId).toBe(consumer.traceId);
    }
    // Two orders, two traces, each from its POST /orders to its processor.
    expect(new Set(processSpans().map((s) => s.traceId))).toEqual(new Set(servers.map((s) => s.traceId)));
    expect(new Set(servers.map((s) => s.traceId)).size).toBe(2);
  }, 90_000);

  it('with redis-server on PATH and no REDIS_URL: the sample runs its own Redis, confirms orders, and stops that Redis on SIGTERM', async () => {
    const base = await boot({ REDIS_URL: '', OTEL_TRACES_EXPORTER: 'none' });
    const line = /Order confirmations: BullMQ queue "order-confirmations" on redis:\/\/127\.0\.0\.1:(\d+) \(a redis-server child process, pid (\d+)\)/.exec(sample!.output);
    expect(line).not.toBeNull();
    const redisPort = Number(line![1]);
    expect(await accepts(redisPort)).toBe(true);

    const order = await placeOrder(base, 'lamp', 1);
    expect(await confirmed(base, order.id)).toMatchObject({ status: 'confirmed' });

    const exit = await sample!.stop(10_000);
    expect(exit.code).toBe(0);
    // Stopped after the app closed: nothing listens on its port any more.
    const deadline = Date.now() + 5000;
    while ((await accepts(redisPort)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await accepts(redisPort)).toBe(false);
  }, 60_000);

  it('with no REDIS_URL and no redis-server on PATH: one line says the queue is off, and POST /orders still answers 201', async () => {
    // A PATH with nothing but `node` on it (the sample forks pricing with its own execPath anyway).
    const bin = mkdtempSync(join(tmpdir(), 'no-redis-path-'));
    try {
      symlinkSync(process.execPath, join(bin, 'node'));
      const base = await boot({ PATH: bin, REDIS_URL: '', OTEL_TRACES_EXPORTER: 'none' });
      expect(sample!.output.split(OFF_LINE)).toHaveLength(2); // exactly once
      expect(sample!.output).not.toMatch(/BullMQ queue "order-confirmations" on /);
      const order = await placeOrder(base, 'book', 1);
      expect(order.status).toBe('placed');
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(sampleValue(text, 'messaging_client_sent_messages_total', { messaging_destination_name: 'order-confirmations' })).toBeUndefined();
      expect((await sample!.stop(10_000)).code).toBe(0);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  }, 60_000);
});
