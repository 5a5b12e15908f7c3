import { INestApplication } from '@nestjs/common';
import { Transport } from '@nestjs/microservices';
import { SpanKind } from '@opentelemetry/api';
import request from 'supertest';
import { MetricsService, ObservabilityModuleOptions, ObservabilityTestingModule, TestSpans } from '../../lib';
import { createTestApp } from '../fixtures/create-test-app';
import { messagingModule, ReceivedMessages } from '../fixtures/messaging.app';
import { Broker, startNats, startRabbitMq, startRedis } from '../support/brokers';

// Runs on Nest 11 and 12 (no Nest-12-only API). On Nest 11 the Redis server does not read the packet's
// metadata, so the Redis case there needs the fix hn11 brings.
const TRANSPORTS = [
  { system: 'redis', transport: Transport.REDIS, start: startRedis, options: (b: Broker) => ({ host: b.host, port: b.port }) },
  { system: 'nats', transport: Transport.NATS, start: startNats, options: (b: Broker) => ({ servers: [b.url] }) },
  { system: 'rabbitmq', transport: Transport.RMQ, start: startRabbitMq, options: (b: Broker) => ({ urls: [b.url], queue: 'orders-context', queueOptions: { durable: false } }) },
];

describe.each(TRANSPORTS)('messaging options over $system', (t) => {
  let broker: Broker;
  beforeAll(async () => {
    broker = await t.start();
  }, 180_000);
  afterAll(() => broker?.stop());

  async function boot(options: ObservabilityModuleOptions): Promise<INestApplication> {
    const app = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot(options), messagingModule(t.transport, t.options(broker))] }, (a) =>
      a.connectMicroservice({ transport: t.transport, options: t.options(broker) } as any),
    );
    await app.startAllMicroservices();
    return app;
  }

  it("messaging.eventContext 'child': an event's handler continues the trace of the publish, with no link", async () => {
    const app = await boot({ messaging: { eventContext: 'child' } });
    try {
      await request(app.getHttpServer()).post('/orders/9/shipped').send({ carrier: 'dhl' }).expect(202);
      expect(await app.get(ReceivedMessages).waitFor(1)).toEqual([{ id: '9', carrier: 'dhl' }]);
      const spans = app.get(TestSpans);
      await spans.waitFor(3, 15_000);
      const http = spans.byName('POST /orders/:id/shipped')!;
      const publish = spans.byName('publish orders.shipped')!;
      const processed = spans.byName('process orders.shipped')!;
      expect(processed.kind).toBe(SpanKind.CONSUMER);
      expect(processed.spanContext().traceId).toBe(http.spanContext().traceId);
      expect(processed.parentSpanContext?.spanId).toBe(publish.spanContext().spanId);
      expect(processed.links).toEqual([]);
      // Request/response is unchanged: the handler is the send's child.
      await request(app.getHttpServer()).get('/orders/3').expect(200);
      await spans.waitFor(6, 15_000);
      expect(spans.byName('process orders.get')!.parentSpanContext?.spanId).toBe(spans.byName('send orders.get')!.spanContext().spanId);
    } finally {
      await app.close();
    }
  });

  it('messaging: false leaves the clients and their messages alone and declares no messaging metric', async () => {
    const app = await boot({ messaging: false });
    try {
      expect((await request(app.getHttpServer()).get('/orders/1').expect(200)).body).toEqual({ received: { id: '1' }, total: 42 });
      const spans = app.get(TestSpans);
      await spans.waitFor(2, 15_000);
      expect(spans.byName('send orders.get')).toBeUndefined();
      // No context went out: the handler's span starts its own trace.
      const processed = spans.byName('process orders.get')!;
      expect(processed.spanContext().traceId).not.toBe(spans.byName('GET /orders/:id')!.spanContext().traceId);
      const registry = app.get(MetricsService).registry;
      expect(registry.getSingleMetric('messaging_client_sent_messages_total')).toBeUndefined();
      expect(registry.getSingleMetric('messaging_process_duration_seconds')).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
