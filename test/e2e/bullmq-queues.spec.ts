import { INestApplication } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import { Queue } from 'bullmq';
import { spawn } from 'node:child_process';
import request from 'supertest';
import { ObservabilityConfigError, ObservabilityModuleOptions, ObservabilityTestingModule, TestSpans } from '../../lib';
import { createTestApp, sampleValue } from '../fixtures/create-test-app';
import { JobLog } from '../fixtures/bullmq.app';
import { BACKLOG_QUEUE, bullmqQueuesModule, STALLING_QUEUE } from '../fixtures/bullmq-queues.app';
import { Broker, startRedis } from '../support/brokers';

// No Nest-12-only API: this spec runs on Nest 11 too.
async function boot(redis: Broker, options: ObservabilityModuleOptions, warnings: string[] = [], withStalling = false, withProcessors = true): Promise<INestApplication> {
  return createTestApp('express', { imports: [ObservabilityTestingModule.forRoot(options), bullmqQueuesModule({ host: redis.host, port: redis.port }, withStalling, withProcessors)] }, (a) =>
    a.useLogger({ log() {}, error() {}, warn: (m: string) => void warnings.push(m), debug() {}, verbose() {} }),
  );
}

const jobs = (text: string, queue: string, state: string) => sampleValue(text, 'messaging_bullmq_queue_jobs', { messaging_destination_name: queue, state });
const stale = (text: string, queue: string) => sampleValue(text, 'messaging_bullmq_queue_jobs_stale', { messaging_destination_name: queue });

describe('BullMQ queue gauge (bullmq.queueMetrics)', () => {
  let redis: Broker;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());
  afterEach(async () => {
    const queue = new Queue(BACKLOG_QUEUE, { connection: { host: redis.host, port: redis.port } });
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('is off by default', async () => {
    const app = await boot(redis, {});
    try {
      expect((await request(app.getHttpServer()).get('/metrics').expect(200)).text).not.toContain('messaging_bullmq_queue_jobs');
    } finally {
      await app.close();
    }
  });

  it('reads waiting, active, delayed and failed jobs of every registered queue at scrape time', async () => {
    const app = await boot(redis, { bullmq: { queueMetrics: true } });
    try {
      const server = app.getHttpServer();
      let text = (await request(server).get('/metrics').expect(200)).text;
      expect(jobs(text, BACKLOG_QUEUE, 'waiting')).toBe(0);
      await request(server).post('/jobs/backlog').send({ waiting: 3, delayed: 2 }).expect(202);
      text = (await request(server).get('/metrics').expect(200)).text;
      expect(jobs(text, BACKLOG_QUEUE, 'waiting')).toBe(3);
      expect(jobs(text, BACKLOG_QUEUE, 'delayed')).toBe(2);
      expect(jobs(text, BACKLOG_QUEUE, 'active')).toBe(0);
      expect(jobs(text, BACKLOG_QUEUE, 'failed')).toBe(0);
      // Every queue the app registered, with or without a processor.
      expect(jobs(text, 'parents', 'waiting')).toBe(0);
      expect(jobs(text, 'parts', 'waiting')).toBe(0);
      expect(stale(text, BACKLOG_QUEUE)).toBe(0);
    } finally {
      await app.close();
    }
  });

  it('reads only the queues named, and refuses at boot a name the app did not register', async () => {
    const app = await boot(redis, { bullmq: { queueMetrics: { queues: [BACKLOG_QUEUE] } } });
    try {
      const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
      expect(jobs(text, BACKLOG_QUEUE, 'waiting')).toBe(0);
      expect(jobs(text, 'parents', 'waiting')).toBeUndefined();
    } finally {
      await app.close();
    }
    await expect(boot(redis, { bullmq: { queueMetrics: { queues: ['emailz'] } } })).rejects.toThrow(ObservabilityConfigError);
    await expect(boot(redis, { bullmq: { queueMetrics: { queues: ['emailz'] } } })).rejects.toThrow('names "emailz", which the app did not register');
  });

  it('keeps /metrics answering when Redis is gone: the last counts, marked stale, said once', async () => {
    const own = await startRedis();
    const warnings: string[] = [];
    // No processor: a Worker that loses Redis throws its own unhandled 'error' events, which are not the subject here.
    const app = await boot(own, { bullmq: { queueMetrics: { timeoutMs: 300 } } }, warnings, false, false);
    try {
      const server = app.getHttpServer();
      await request(server).post('/jobs/backlog').send({ waiting: 2, delayed: 1 }).expect(202);
      expect(jobs((await request(server).get('/metrics').expect(200)).text, BACKLOG_QUEUE, 'waiting')).toBe(2);
      await own.stop();
      for (let i = 0; i < 3; i++) {
        const text = (await request(server).get('/metrics').expect(200)).text;
        expect(jobs(text, BACKLOG_QUEUE, 'waiting')).toBe(2);
        expect(jobs(text, BACKLOG_QUEUE, 'delayed')).toBe(1);
        expect(stale(text, BACKLOG_QUEUE)).toBe(1);
        // The rest of the scrape is there.
        expect(text).toContain('messaging_client_sent_messages_total');
      }
      const said = warnings.filter((w) => w.includes(`job counts of BullMQ queue "${BACKLOG_QUEUE}"`));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain('messaging_bullmq_queue_jobs_stale');
    } finally {
      // The app's own BullMQ queues (not ours) wait for Redis to close; without it their ioredis clients
      // retry for ever and keep Jest from exiting. Bring Redis back on the same port, then close.
      await own.stop();
      const back = await startRedis(own.port);
      await app.close();
      await back.stop();
    }
  }, 60_000);
});

describe('BullMQ flows and stalled jobs', () => {
  let redis: Broker;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it.each(['child', 'link'] as const)("FlowProducer.add(): the parent and its children are processed in the request's trace (bullmq.jobContext %s)", async (jobContext) => {
    const app = await boot(redis, { bullmq: { jobContext } });
    try {
      const server = app.getHttpServer();
      await request(server).post('/jobs/report').expect(202);
      const done = await app.get(JobLog).waitFor(3);
      expect(done.map((d) => d.data)).toEqual(expect.arrayContaining([{ part: 1 }, { part: 2 }, { kind: 'report' }]));
      const spans = app.get(TestSpans);
      await spans.waitFor(5, 15_000);
      const http = spans.byName('POST /jobs/report')!;
      const send = spans.byName('send parents')!;
      expect(send.kind).toBe(SpanKind.PRODUCER);
      expect(send.parentSpanContext?.spanId).toBe(http.spanContext().spanId);
      const processed = spans.all().filter((s) => s.name === 'process parts' || s.name === 'process parents');
      expect(processed.map((s) => s.name).sort()).toEqual(['process parents', 'process parts', 'process parts']);
      for (const p of processed) {
        expect(p.kind).toBe(SpanKind.CONSUMER);
        if (jobContext === 'child') {
          expect(p.spanContext().traceId).toBe(http.spanContext().traceId);
          expect(p.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
          expect(p.links).toEqual([]);
        } else {
          expect(p.parentSpanContext).toBeUndefined();
          expect(p.spanContext().traceId).not.toBe(http.spanContext().traceId);
          expect(p.links.map((l) => l.context.spanId)).toEqual([send.spanContext().spanId]);
        }
      }
      const text = (await request(server).get('/metrics').expect(200)).text;
      expect(sampleValue(text, 'messaging_client_sent_messages_total', { messaging_system: 'bullmq', messaging_destination_name: 'parents' })).toBe(3);
    } finally {
      await app.close();
    }
  });

  it('counts a job whose worker died (a real stall) once, and processes it again', async () => {
    const connection = { host: redis.host, port: redis.port };
    const queue = new Queue(STALLING_QUEUE, { connection });
    // Another worker process takes the job and is killed while it holds it: its lock expires in Redis.
    const script = `
      const { Worker } = require('bullmq');
      new Worker(${JSON.stringify(STALLING_QUEUE)}, async (job) => { console.log('taken ' + job.id); await new Promise(() => {}); },
        { connection: ${JSON.stringify(connection)}, lockDuration: 1000, skipStalledCheck: true });`;
    // (skipStalledCheck: its own check would hold the queue's stalled-check key for its interval.)
    const worker = spawn(process.execPath, ['-e', script], { cwd: process.cwd(), stdio: ['ignore', 'pipe', 'pipe'] });
    let app: INestApplication | undefined;
    try {
      const job = await queue.add('stall', { n: 1 });
      await new Promise<void>((resolve, reject) => {
        worker.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes(`taken ${job.id}`) && resolve());
        worker.stderr!.on('data', (chunk: Buffer) => process.stderr.write(chunk));
        worker.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it took the job`)));
      });
      worker.kill('SIGKILL');
      app = await boot(redis, {}, [], true);
      const log = await app.get(JobLog).waitFor(1);
      expect(log).toEqual([{ id: job.id, attempt: 1, data: { n: 1 }, outcome: 'ok' }]);
      // Several more stall checks (every 200 ms) pass: the job is counted once.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
      expect(sampleValue(text, 'messaging_bullmq_jobs_stalled_total', { messaging_destination_name: STALLING_QUEUE })).toBe(1);
      expect(app.get(JobLog).attempts).toHaveLength(1);
    } finally {
      worker.kill('SIGKILL');
      await app?.close();
      await queue.close();
    }
  }, 60_000);
});
