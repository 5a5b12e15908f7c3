import { Controller, Get, INestApplication, Injectable, NotFoundException, Param } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { MetricsService, NoTrace, Observed, ObservabilityTestingModule, TestSpans } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';

class OutOfStock extends Error {}

@Injectable()
class OrdersService {
  @Observed('orders.create')
  async create(sku: string): Promise<{ sku: string }> {
    await new Promise((r) => setTimeout(r, 1));
    if (sku === 'none') throw new OutOfStock(sku);
    return { sku };
  }
}

@Observed('billing')
@Injectable()
class BillingService {
  charge(): string {
    return 'charged';
  }

  @NoTrace()
  health(): string {
    return 'ok';
  }
}

@Controller('orders')
class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Get(':sku')
  @Observed()
  async get(@Param('sku') sku: string): Promise<{ sku: string }> {
    try {
      return await this.orders.create(sku);
    } catch {
      throw new NotFoundException();
    }
  }
}

describe.each(PLATFORMS)('@Observed() on %s', (platform) => {
  let app: INestApplication;
  const scrape = async () => app.get(MetricsService).registry.metrics();

  beforeEach(async () => {
    app = await createTestApp(platform, {
      imports: [ObservabilityTestingModule.forRoot()],
      controllers: [OrdersController],
      providers: [OrdersService, BillingService],
    });
  });
  afterEach(() => app.close());

  it('gives the count, the duration and the span of a call, under one name', async () => {
    await request(app.getHttpServer()).get('/orders/apple').expect(200, { sku: 'apple' });
    await request(app.getHttpServer()).get('/orders/none').expect(404);
    const text = await scrape();
    const labels = (result: string, exception: string) => ({ class: 'OrdersService', method: 'create', result, exception });
    expect(sampleValue(text, 'orders_create_total', labels('success', 'none'))).toBe(1);
    expect(sampleValue(text, 'orders_create_total', labels('failure', 'OutOfStock'))).toBe(1);
    expect(sampleValue(text, 'orders_create_seconds_count', labels('success', 'none'))).toBe(1);
    expect(sampleValue(text, 'orders_create_seconds_count', labels('failure', 'OutOfStock'))).toBe(1);
    expect(sampleValue(text, 'orders_controller_get_total', { result: 'failure', exception: 'NotFoundException' })).toBe(1);

    const spans = await app.get(TestSpans).waitFor(4);
    const created = spans.filter((s) => s.name === 'orders.create');
    expect(created.map((s) => s.status.code).sort()).toEqual([0, 2]);
    const handler = spans.find((s) => s.name === 'OrdersController.get')!;
    // The provider's span is a child of the handler's.
    expect(created.every((s) => s.parentSpanContext?.spanId !== undefined)).toBe(true);
    expect(created.some((s) => s.parentSpanContext?.spanId === handler.spanContext().spanId)).toBe(true);
  });

  it('on a class, names each method <name>.<method>, and @NoTrace() leaves one out entirely', async () => {
    const billing = app.get(BillingService);
    expect(billing.charge()).toBe('charged');
    expect(billing.health()).toBe('ok');
    const text = await scrape();
    expect(sampleValue(text, 'billing_charge_total', { result: 'success' })).toBe(1);
    expect(sampleValue(text, 'billing_charge_seconds_count', { result: 'success' })).toBe(1);
    expect(text).not.toContain('billing_health');
    expect(app.get(TestSpans).all().map((s) => s.name)).toEqual(['billing.charge']);
  });
});

describe('@Observed() with tracing switched off', () => {
  it('still gives both metrics', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ObservabilityTestingModule.forRoot({ tracing: false })],
      providers: [BillingService],
    }).compile();
    await moduleRef.init();
    try {
      expect(moduleRef.get(BillingService).charge()).toBe('charged');
      const text = await moduleRef.get(MetricsService).registry.metrics();
      expect(sampleValue(text, 'billing_charge_total', { result: 'success' })).toBe(1);
      expect(sampleValue(text, 'billing_charge_seconds_count', { result: 'success' })).toBe(1);
    } finally {
      await moduleRef.close();
    }
  });
});
