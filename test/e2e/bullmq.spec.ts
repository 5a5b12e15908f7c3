import * as nestBullmq from '@nestjs/bullmq';
import * as nestCommon from '@nestjs/common';
import { INestApplication } from '@nestjs/common';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import request from 'supertest';
import * as observability from '../../lib';
import { MetricsService, ObservabilityModuleOptions, ObservabilityTestingModule, TestSpans } from '../../lib';
import { createTestApp, sampleValue } from '../fixtures/create-test-app';
import { bullmqModule, JobLog } from '../fixtures/bullmq.app';
import { Broker, startRedis } from '../support/brokers';
import { loadDocSnippet } from '../support/load-doc-snippet';

describe('BullMQ on a real Redis', () => {
  let redis: Broker;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  const boot = (options: ObservabilityModuleOptions = {}): Promise<INestApplication> =>
    createTestApp('express', { imports: [ObservabilityTestingModule.forRoot(options), bullmqModule({ host: redis.host, port: redis.port })] });

  it('makes one trace from the HTTP request through Queue.add() to every attempt of the processor', async () => {
    const app = await boot();
    try {
      const { body } = await request(app.getHttpServer()).post('/emails').send({ to: 'a@example.com', failures: 1 }).expect(202);
      const attempts = await app.get(JobLog).waitFor(2);
      // The processor saw the job's data exactly: the trace context is not in it.
      expect(attempts).toEqual([
        { id: body.id, attempt: 1, data: { to: 'a@example.com', failures: 1 }, outcome: 'failed' },
        { id: body.id, attempt: 2, data: { to: 'a@example.com', failures: 1 }, outcome: 'ok' },
      ]);
      const spans = app.get(TestSpans);
      await spans.waitFor(4, 15_000);
      const http = spans.byName('POST /emails')!;
      const send = spans.byName('send emails')!;
      const processes = spans.all().filter((s) => s.name === 'process emails');
      expect(send.kind).toBe(SpanKind.PRODUCER);
      expect(send.parentSpanContext?.spanId).toBe(http.spanContext().spanId);
      expect(send.attributes).toMatchObject({ 'messaging.system': 'bullmq', 'messaging.destination.name': 'emails', 'messaging.message.id': body.id });
      expect(processes).toHaveLength(2);
      for (const p of processes) {
        expect(p.kind).toBe(SpanKind.CONSUMER);
        expect(p.spanContext().traceId).toBe(http.spanContext().traceId);
        expect(p.parentSpanContext?.spanId).toBe(send.spanContext().spanId);
        expect(p.attributes).toMatchObject({ 'messaging.system': 'bullmq', 'messaging.destination.name': 'emails', 'messaging.message.id': body.id, 'nest.controller': 'EmailProcessor' });
      }
      const [first, second] = [...processes].sort((a, b) => Number(a.attributes['messaging.bullmq.job.attempt']) - Number(b.attributes['messaging.bullmq.job.attempt']));
      expect(first.status.code).toBe(SpanStatusCode.ERROR);
      expect(first.events[0].attributes?.['exception.message']).toBe('smtp down for a@example.com');
      expect(second.status.code).not.toBe(SpanStatusCode.ERROR);
    } finally {
      await app.close();
    }
  });

  it('counts jobs sent, attempts by outcome and the queue wait in /metrics', async () => {
    const app = await boot();
    try {
      const server = app.getHttpServer();
      await request(server).post('/emails').send({ to: 'b@example.com' }).expect(202);
      await request(server).post('/emails').send({ to: 'c@example.com', failures: 2 }).expect(202);
      await app.get(JobLog).waitFor(3);
      await app.get(TestSpans).waitFor(2 * 2 + 3, 15_000);
      const text = (await request(server).get('/metrics').expect(200)).text;
      const labels = { messaging_system: 'bullmq', messaging_destination_name: 'emails' };
      expect(sampleValue(text, 'messaging_client_sent_messages_total', labels)).toBe(2);
      expect(sampleValue(text, 'messaging_process_duration_seconds_count', { ...labels, outcome: 'success' })).toBe(1);
      expect(sampleValue(text, 'messaging_process_duration_seconds_count', { ...labels, outcome: 'failure' })).toBe(2);
      expect(sampleValue(text, 'messaging_bullmq_job_wait_seconds_count', { messaging_destination_name: 'emails' })).toBe(2);
      expect(text).toContain('# TYPE messaging_bullmq_jobs_stalled_total counter');
    } finally {
      await app.close();
    }
  });

  it('records no span when tracing is off, and no messaging metric when metrics are off', async () => {
    const untraced = await boot({ tracing: false });
    try {
      await request(untraced.getHttpServer()).post('/emails').send({ to: 'd@example.com' }).expect(202);
      await untraced.get(JobLog).waitFor(1);
      expect(untraced.get(TestSpans).all()).toEqual([]);
    } finally {
      await untraced.close();
    }
    const unmeasured = await boot({ metrics: false });
    try {
      await request(unmeasured.getHttpServer()).post('/emails').send({ to: 'e@example.com' }).expect(202);
      await unmeasured.get(JobLog).waitFor(1);
      await unmeasured.get(TestSpans).waitFor(3, 15_000);
      const registry = unmeasured.get(MetricsService).registry;
      for (const name of ['messaging_client_sent_messages_total', 'messaging_process_duration_seconds', 'messaging_bullmq_job_wait_seconds']) {
        expect(registry.getSingleMetric(name)).toBeUndefined();
      }
    } finally {
      await unmeasured.close();
    }
  });
});

describe('docs/messaging.md BullMQ snippet', () => {
  it("boots the page's module on a real Redis: the job is added, processed and counted", async () => {
    const redis = await startRedis();
    const saved = { host: process.env.REDIS_HOST, port: process.env.REDIS_PORT };
    process.env.REDIS_HOST = redis.host;
    process.env.REDIS_PORT = String(redis.port);
    try {
      const { EmailsModule } = loadDocSnippet('docs/messaging.md', 'src/emails.module.ts', { '@nestjs/bullmq': nestBullmq, '@nestjs/common': nestCommon, 'nestjs-observability': observability });
      const app = await createTestApp('express', EmailsModule);
      try {
        const { body } = await request(app.getHttpServer()).post('/emails').send({ to: 'f@example.com' }).expect(201);
        expect(typeof body.id).toBe('string');
        let text = '';
        for (let i = 0; i < 150 && sampleValue(text, 'messaging_process_duration_seconds_count', { outcome: 'success' }) !== 1; i++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
        }
        expect(sampleValue(text, 'messaging_client_sent_messages_total', { messaging_system: 'bullmq', messaging_destination_name: 'emails' })).toBe(1);
        expect(sampleValue(text, 'messaging_process_duration_seconds_count', { messaging_destination_name: 'emails', outcome: 'success' })).toBe(1);
      } finally {
        await app.close();
      }
    } finally {
      for (const [key, value] of Object.entries({ REDIS_HOST: saved.host, REDIS_PORT: saved.port })) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      await redis.stop();
    }
  });
});
