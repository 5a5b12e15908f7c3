import { INestApplication, Module } from '@nestjs/common';
import request from 'supertest';
import { ObservabilityModule } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';
import { OrdersModule, OrdersService } from '../fixtures/orders.app';

@Module({ imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false } }), OrdersModule] })
class AppModule {}

describe.each(PLATFORMS)('@Counted and @Timed on %s', (platform) => {
  let app: INestApplication;
  const scrape = async () => (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
  const labels = (cls: string, method: string, result = 'success', exception = 'none') => ({ class: cls, method, result, exception });

  beforeEach(async () => {
    app = await createTestApp(platform, AppModule);
  });
  afterEach(() => app.close());

  it('counts and times a controller handler and the provider method it calls (sync)', async () => {
    await request(app.getHttpServer()).get('/orders/7').expect(200, { id: '7' });
    await request(app.getHttpServer()).get('/orders/8').expect(200, { id: '8' });
    const text = await scrape();
    expect(sampleValue(text, 'orders_controller_find_total', labels('OrdersController', 'find'))).toBe(2);
    expect(sampleValue(text, 'orders_controller_find_seconds_count', labels('OrdersController', 'find'))).toBe(2);
    expect(sampleValue(text, 'orders_service_find_sync_total', labels('OrdersService', 'findSync'))).toBe(2);
    expect(sampleValue(text, 'orders_service_find_sync_seconds_count', labels('OrdersService', 'findSync'))).toBe(2);
  });

  it('records a thrown HttpException as a failure with its class name, and the status stays intact', async () => {
    await request(app.getHttpServer()).get('/orders/missing').expect(404);
    await request(app.getHttpServer()).get('/orders/boom').expect(500);
    const text = await scrape();
    expect(sampleValue(text, 'orders_controller_find_total', labels('OrdersController', 'find', 'failure', 'NotFoundException'))).toBe(1);
    expect(sampleValue(text, 'orders_controller_find_total', labels('OrdersController', 'find', 'failure', 'Error'))).toBe(1);
    expect(sampleValue(text, 'orders_controller_find_seconds_count', labels('OrdersController', 'find', 'failure', 'NotFoundException'))).toBe(1);
  });

  it('uses the custom name for async methods and counts when the Promise settles', async () => {
    await request(app.getHttpServer()).post('/orders').expect(201, { ok: true });
    const text = await scrape();
    expect(sampleValue(text, 'orders_lookup_total', labels('OrdersService', 'findAsync'))).toBe(1);
    expect(sampleValue(text, 'orders_controller_create_total', labels('OrdersController', 'create'))).toBe(1);
  });

  it('times a plain function that returns a Promise until it settles, and records rejections', async () => {
    await request(app.getHttpServer()).get('/orders/charge/ok').expect(200);
    await request(app.getHttpServer()).get('/orders/charge/fail').expect(402);
    const text = await scrape();
    expect(sampleValue(text, 'orders_service_charge_total', labels('OrdersService', 'charge'))).toBe(1);
    expect(sampleValue(text, 'orders_service_charge_total', labels('OrdersService', 'charge', 'failure', 'PaymentDeclinedError'))).toBe(1);
    // The promise takes 10 ms: a wrapper that ended at return would record ~0.
    const sum = sampleValue(text, 'orders_service_charge_seconds_sum', labels('OrdersService', 'charge'))!;
    expect(sum).toBeGreaterThanOrEqual(0.009);
    expect(sampleValue(text, 'orders_service_charge_seconds_bucket', { ...labels('OrdersService', 'charge'), le: '0.005' })).toBe(0);
  });

  it('counts an Observable when it completes or errors, with static labels', async () => {
    await request(app.getHttpServer()).get('/orders/stream').expect(200);
    await request(app.getHttpServer()).get('/orders/stream-fail').expect(500);
    const text = await scrape();
    expect(sampleValue(text, 'orders_stream_total', { ...labels('OrdersService', 'stream'), source: 'rx' })).toBe(1);
    expect(sampleValue(text, 'orders_stream_total', { ...labels('OrdersService', 'stream', 'failure', 'PaymentDeclinedError'), source: 'rx' })).toBe(1);
    expect(sampleValue(text, 'orders_stream_seconds_count', labels('OrdersService', 'stream'))).toBe(1);
    expect(sampleValue(text, 'orders_stream_seconds_sum', labels('OrdersService', 'stream'))!).toBeGreaterThan(0.001);
    expect(sampleValue(text, 'orders_controller_stream_total', labels('OrdersController', 'stream'))).toBe(1);
  });

  it('rethrows the very same error object, sync and async', async () => {
    const service = app.get(OrdersService);
    let thrown: unknown;
    try {
      service.explode();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(Error);
    expect((thrown as Error).message).toBe('sync failure');
    await expect(service.charge(true)).rejects.toThrow('no funds');
    const text = await scrape();
    expect(sampleValue(text, 'orders_service_explode_total', labels('OrdersService', 'explode', 'failure', 'PaymentDeclinedError'))).toBe(1);
  });

  it('keeps routing and metadata: a guard still reads SetMetadata on a @Counted @Timed @Get handler', async () => {
    await request(app.getHttpServer()).get('/orders/admin/1').expect(403);
    await request(app.getHttpServer()).get('/orders/admin/1').set('x-role', 'admin').expect(200, { id: '1' });
    const text = await scrape();
    // The guard rejected the first call before the handler ran.
    expect(sampleValue(text, 'orders_controller_admin_total', labels('OrdersController', 'admin'))).toBe(1);
  });
});
