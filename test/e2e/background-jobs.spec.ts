import { INestApplication, Module } from '@nestjs/common';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ObservabilityModule, ObservabilityTestingModule, TestSpans } from '../../lib';
import { createTestApp, parseSamples, PLATFORMS, sampleValue } from '../fixtures/create-test-app';
import { BackgroundModule, OrdersCleanup, PurgeError, seen } from '../fixtures/background.app';
import { writeDocSnippets } from '../support/doc-snippet-files';
import { until } from '../support/until';

const spanNamed = (spans: TestSpans, name: string) => () => spans.all().find((s) => s.name === name);
const metricsOf = async (app: INestApplication) => (await request(app.getHttpServer()).get('/metrics').expect(200)).text;

describe('@nestjs/schedule jobs', () => {
  let app: INestApplication;
  let spans: TestSpans;
  beforeAll(async () => {
    app = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot(), BackgroundModule] });
    spans = app.get(TestSpans);
  });
  afterAll(() => app.close());

  it('a @Cron run is a root span "cron OrdersCleanup.purge", timed by result, with its last success', async () => {
    const before = Date.now() / 1000;
    const span = await until('the cron span', spanNamed(spans, 'cron OrdersCleanup.purge'));
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.kind).toBe(SpanKind.INTERNAL);
    expect(span.status.code).toBe(SpanStatusCode.UNSET);
    expect(span.attributes).toMatchObject({ 'nest.class': 'OrdersCleanup', 'nest.method': 'purge', 'job.type': 'cron', 'job.cron': '* * * * * *' });
    expect(seen.purges).toBeGreaterThan(0);
    const text = await metricsOf(app);
    const labels = { task: 'OrdersCleanup.purge', type: 'cron' };
    expect(sampleValue(text, 'scheduled_job_duration_seconds_count', { ...labels, result: 'success' })).toBeGreaterThanOrEqual(1);
    const last = sampleValue(text, 'scheduled_job_last_success_timestamp_seconds', labels)!;
    expect(last).toBeGreaterThanOrEqual(Math.floor(before) - 1);
    expect(last).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    expect(sampleValue(text, 'scheduled_job_period_seconds', labels)).toBe(1);
  });

  it('@Interval and @Timeout runs get spans too; a named interval keeps its name as an attribute', async () => {
    const interval = await until('the interval span', spanNamed(spans, 'interval OrdersCleanup.refresh'));
    expect(interval.attributes).toMatchObject({ 'job.type': 'interval', 'job.name': 'refresh-prices', 'job.delay_ms': 20 });
    const timeout = await until('the timeout span', spanNamed(spans, 'timeout OrdersCleanup.warmUp'));
    expect(timeout.parentSpanContext).toBeUndefined();
    const text = await metricsOf(app);
    expect(sampleValue(text, 'scheduled_job_period_seconds', { task: 'OrdersCleanup.refresh', type: 'interval' })).toBe(0.02);
    // A timeout runs once: no period, so no "stopped running" alert for it.
    expect(sampleValue(text, 'scheduled_job_period_seconds', { task: 'OrdersCleanup.warmUp' })).toBeUndefined();
    expect(sampleValue(text, 'scheduled_job_last_success_timestamp_seconds', { task: 'OrdersCleanup.warmUp', type: 'timeout' })).toBeGreaterThan(0);
    // A weekday job leaves three days over the weekend.
    expect(sampleValue(text, 'scheduled_job_period_seconds', { task: 'OrdersCleanup.report', type: 'cron' })).toBe(3 * 24 * 3600);
  });

  it('a failing job: span ERROR with the exception, result="failure", no last success; @Traced inside is a child', async () => {
    const job = await until('the failing job span', spanNamed(spans, 'interval OrdersCleanup.prune'));
    expect(job.status).toEqual({ code: SpanStatusCode.ERROR, message: 'disk full' });
    expect(job.events.find((e) => e.name === 'exception')?.attributes).toMatchObject({ 'exception.type': 'PurgeError', 'exception.message': 'disk full' });
    const inner = spans.all().find((s) => s.name === 'prune.inner' && s.parentSpanContext?.spanId === job.spanContext().spanId);
    expect(inner).toBeDefined();
    const text = await metricsOf(app);
    const labels = { task: 'OrdersCleanup.prune', type: 'interval' };
    expect(sampleValue(text, 'scheduled_job_duration_seconds_count', { ...labels, result: 'failure' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, 'scheduled_job_duration_seconds_count', { ...labels, result: 'success' })).toBe(0);
    expect(sampleValue(text, 'scheduled_job_last_success_timestamp_seconds', labels)).toBeUndefined();
  });

  it('keeps what the method is: name, the schedule metadata, its return value and its error', async () => {
    const purge = OrdersCleanup.prototype.purge;
    expect(purge.name).toBe('purge');
    expect(Reflect.getMetadata('SCHEDULE_CRON_OPTIONS', purge)).toMatchObject({ cronTime: '* * * * * *' });
    const cleanup = app.get(OrdersCleanup);
    await expect(cleanup.purge()).resolves.toBe(3);
    expect(cleanup.refresh()).toBe('refreshed');
    expect(() => cleanup.prune()).toThrow(PurgeError);
  });
});

describe('@nestjs/schedule imported before the observability module', () => {
  it('still wraps the jobs: the dispatcher is in place before the schedule explorer captures the method', async () => {
    @Module({ imports: [BackgroundModule, ObservabilityTestingModule.forRoot()] })
    class ScheduleFirst {}
    const app = await createTestApp('express', ScheduleFirst);
    try {
      await until('the interval span', spanNamed(app.get(TestSpans), 'interval OrdersCleanup.refresh'));
    } finally {
      await app.close();
    }
  });
});

describe('forRootAsync(): options that arrive late', () => {
  it('still wrap the jobs before the schedule explorer captures them (the installer waits for the options, the explorer for every provider)', async () => {
    const app = await createTestApp('express', {
      imports: [
        ObservabilityModule.forRootAsync({
          useFactory: async () => {
            await new Promise((r) => setTimeout(r, 50));
            return { metrics: { defaultMetrics: false }, health: false };
          },
        }),
        BackgroundModule,
      ],
    });
    try {
      await until('a measured refresh', async () => (sampleValue(await metricsOf(app), 'scheduled_job_duration_seconds_count', { task: 'OrdersCleanup.refresh', result: 'success' }) ?? 0) >= 1);
    } finally {
      await app.close();
    }
  });
});

describe('two apps in one process', () => {
  it('each traces and measures the runs of its own job instances', async () => {
    const one = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot(), BackgroundModule] });
    const two = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot({ events: false }), BackgroundModule] });
    try {
      for (const app of [one, two]) await until('an interval span of each app', spanNamed(app.get(TestSpans), 'interval OrdersCleanup.refresh'));
      const [first, second] = [await metricsOf(one), await metricsOf(two)];
      for (const text of [first, second]) {
        expect(sampleValue(text, 'scheduled_job_duration_seconds_count', { task: 'OrdersCleanup.refresh', result: 'success' })).toBeGreaterThanOrEqual(1);
      }
      // The second app switched events off: an emit there is neither traced nor measured, the first's is.
      one.get(EventEmitter2).emit('order.created', { id: 'one' });
      two.get(EventEmitter2).emit('order.created', { id: 'two' });
      expect(sampleValue(await metricsOf(one), 'event_handler_duration_seconds_count', { handler: 'OrderListeners.onCreated' })).toBe(1);
      expect(await metricsOf(two)).not.toContain('event_handler_duration_seconds');
      expect(two.get(TestSpans).all().filter((s) => s.name.startsWith('event '))).toEqual([]);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('schedule: false', () => {
  it('leaves the jobs running, untraced and unmeasured', async () => {
    const app = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot({ schedule: false }), BackgroundModule] });
    try {
      const purges = seen.purges;
      await until('a purge', () => seen.purges > purges, 5000);
      const text = await metricsOf(app);
      expect(text).not.toContain('scheduled_job_');
      expect(app.get(TestSpans).all().filter((s) => s.name.startsWith('interval ') || s.name.startsWith('cron '))).toEqual([]);
    } finally {
      await app.close();
    }
  });
});

describe.each(PLATFORMS)('@nestjs/event-emitter handlers on %s', (platform) => {
  let app: INestApplication;
  let spans: TestSpans;
  beforeAll(async () => {
    app = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot(), BackgroundModule] });
    spans = app.get(TestSpans);
  });
  afterAll(() => app.close());

  const handlerSpans = (traceId: string) => spans.ofTrace(traceId).filter((s) => s.name === 'event order.created');

  it('each handler of an event emitted in a request is a child span of the request', async () => {
    await request(app.getHttpServer()).post('/orders/7').expect(201);
    const server = await until('the server span', () => spans.all().find((s) => s.kind === SpanKind.SERVER && s.attributes['http.route'] === '/orders/:id'));
    const children = await until('both handler spans', () => (handlerSpans(server.spanContext().traceId).length === 2 ? handlerSpans(server.spanContext().traceId) : undefined));
    for (const child of children) expect(child.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(children.map((s) => s.attributes['nest.method']).sort()).toEqual(['onCreated', 'onCreatedLater']);
    expect(children[0].attributes['nest.event']).toBe('order.created');
    expect(seen.created).toContain('7');
    const text = await metricsOf(app);
    const labels = { event: 'order.created', result: 'success' };
    expect(sampleValue(text, 'event_handler_duration_seconds_count', { ...labels, handler: 'OrderListeners.onCreated' })).toBeGreaterThanOrEqual(1);
    // The { async: true } handler ends after the response: its observation comes when it does.
    await until('the async handler metric', async () => (sampleValue(await metricsOf(app), 'event_handler_duration_seconds_count', { ...labels, handler: 'OrderListeners.onCreatedLater' }) ?? 0) >= 1);
  });

  it('a handler that throws: span ERROR, result="failure"; the emitter still suppresses the error as before', async () => {
    await request(app.getHttpServer()).post('/orders/8/fail').expect(202);
    const span = await until('the failed handler span', spanNamed(spans, 'event order.failed'));
    expect(span.status).toEqual({ code: SpanStatusCode.ERROR, message: 'listener broke' });
    const text = await metricsOf(app);
    expect(sampleValue(text, 'event_handler_duration_seconds_count', { event: 'order.failed', result: 'failure' })).toBe(1);
  });

  it('an event emitted outside any span makes root spans', async () => {
    spans.reset();
    app.get(EventEmitter2).emit('order.created', { id: 'x' });
    const roots = await until('two root spans', () => {
      const found = spans.all().filter((s) => s.name === 'event order.created');
      return found.length === 2 ? found : undefined;
    });
    expect(roots.map((s: ReadableSpan) => s.parentSpanContext)).toEqual([undefined, undefined]);
    expect(parseSamples(await metricsOf(app)).size).toBeGreaterThan(0);
  });
});

describe('docs/background-jobs.md', () => {
  it('its app boots: the cron job and the listener run and are measured on /metrics', async () => {
    const dir = writeDocSnippets('docs/background-jobs.md');
    try {
      const { AppModule } = require(join(dir, 'src/app.module.ts'));
      const { OrdersCleanup: DocCleanup } = require(join(dir, 'src/orders-cleanup.job.ts'));
      const { OrderNotifications } = require(join(dir, 'src/order-notifications.listener.ts'));
      const app = await createTestApp('express', AppModule);
      try {
        app.get(EventEmitter2).emit('order.created', { id: '42' });
        expect(app.get(OrderNotifications).sent).toEqual(['42']);
        await until('a purge', () => app.get(DocCleanup).purged > 0);
        const text = await until('the purge measured', async () => {
          const body = await metricsOf(app);
          return (sampleValue(body, 'scheduled_job_duration_seconds_count', { task: 'OrdersCleanup.purge', result: 'success' }) ?? 0) > 0 && body;
        });
        expect(text).toContain('scheduled_job_duration_seconds_bucket{task="OrdersCleanup.purge",type="cron",result="success",le="600"}');
        expect(sampleValue(text, 'event_handler_duration_seconds_count', { event: 'order.created', handler: 'OrderNotifications.notify', result: 'success' })).toBe(1);
      } finally {
        await app.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
