import { BullModule, getQueueToken, InjectQueue } from '@nestjs/bullmq';
import { INestApplication, Module } from '@nestjs/common';
import type { Queue } from 'bullmq';
import Redis from 'ioredis';
import request from 'supertest';
import { HealthIndicator, ObservabilityTestingModule, QueueBacklogHealth, RedisConnectionHealth } from '../../lib';
import { createTestApp } from '../fixtures/create-test-app';
import { Broker, startRedis } from '../support/brokers';

@HealthIndicator('reports-backlog', { timeoutMs: 2000 })
class ReportsBacklogHealth extends QueueBacklogHealth {
  constructor(@InjectQueue('reports') queue: Queue) {
    super(queue, { maxWaiting: 2 });
  }
}

@HealthIndicator('redis', { timeoutMs: 1000 })
class RedisHealth extends RedisConnectionHealth {
  constructor(redis: Redis) {
    super(redis);
  }
}

describe('messaging health indicators on a real Redis', () => {
  let redis: Broker;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis?.stop());

  it('QueueBacklogHealth is down past maxWaiting, with the counts', async () => {
    @Module({
      imports: [
        ObservabilityTestingModule.forRoot(),
        BullModule.forRoot({ connection: { host: redis.host, port: redis.port } }),
        BullModule.registerQueue({ name: 'reports' }),
      ],
      providers: [ReportsBacklogHealth],
    })
    class AppModule {}
    const app: INestApplication = await createTestApp('express', AppModule);
    try {
      const queue = app.get<Queue>(getQueueToken('reports'));
      await queue.add('r', { n: 1 });
      await queue.add('r', { n: 2 });
      const ok = await request(app.getHttpServer()).get('/health/ready').expect(200);
      expect(ok.body.details['reports-backlog']).toMatchObject({ status: 'up', waiting: 2, maxWaiting: 2 });
      await queue.add('r', { n: 3 });
      const backlog = await request(app.getHttpServer()).get('/health/ready').expect(503);
      expect(backlog.body.details['reports-backlog']).toMatchObject({ status: 'down', waiting: 3, delayed: 0 });
      await queue.obliterate({ force: true });
    } finally {
      await app.close();
    }
  });

  it('RedisConnectionHealth is up with a PONG, down once Redis is gone', async () => {
    const own = await startRedis();
    const client = new Redis({ host: own.host, port: own.port, maxRetriesPerRequest: 0, retryStrategy: () => 200 });
    @Module({ imports: [ObservabilityTestingModule.forRoot()], providers: [{ provide: Redis, useValue: client }, RedisHealth] })
    class AppModule {}
    const app = await createTestApp('express', AppModule);
    try {
      const ok = await request(app.getHttpServer()).get('/health/ready').expect(200);
      expect(ok.body.details.redis.status).toBe('up');
      expect(typeof ok.body.details.redis.latencyMs).toBe('number');
      await own.stop();
      const gone = await request(app.getHttpServer()).get('/health/ready').expect(503);
      expect(gone.body.details.redis.status).toBe('down');
    } finally {
      await app.close();
      client.disconnect();
      await own.stop();
    }
  });
});
