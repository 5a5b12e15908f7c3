import { Injectable } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { Counted, MetricsService, ObservabilityConfigError, ObservabilityTestingModule, TestSpans, Traced } from '../../lib';
import { sampleValue } from '../fixtures/create-test-app';

interface Order {
  id: string;
  total: number;
}

@Injectable()
class OrdersService {
  @Traced({
    attributes: (args) => ({ 'order.id': String(args[0]) }),
    onResult: (order: Order, span) => span.setAttribute('order.total', order.total),
  })
  async create(id: string): Promise<Order> {
    return { id, total: 42 };
  }

  @Traced({
    attributes: () => {
      throw new Error('attributes bug');
    },
    onResult: () => {
      throw new Error('onResult bug');
    },
  })
  fragile(): string {
    return 'unchanged';
  }

  @Counted({ labels: (args, result: Order | undefined) => ({ channel: args[0], big: (result?.total ?? 0) > 10 }), labelNames: ['channel', 'big'], maxLabelSets: 3 })
  place(channel: string, total: number): Order {
    if (total < 0) throw new RangeError('negative');
    return { id: 'x', total };
  }

  @Counted({
    labels: () => {
      throw new Error('labels bug');
    },
    labelNames: ['channel'],
  })
  careless(): number {
    return 7;
  }
}

describe('decorator callbacks: span and metric data from the call', () => {
  let moduleRef: TestingModule;
  let orders: OrdersService;
  const metrics = () => moduleRef.get(MetricsService).registry.metrics();

  beforeEach(async () => {
    moduleRef = await Test.createTestingModule({ imports: [ObservabilityTestingModule.forRoot()], providers: [OrdersService] }).compile();
    await moduleRef.init();
    orders = moduleRef.get(OrdersService);
  });
  afterEach(() => moduleRef.close());

  it('puts attributes from the arguments and from the result on the span', async () => {
    expect(await orders.create('o-1')).toEqual({ id: 'o-1', total: 42 });
    const span = moduleRef.get(TestSpans).byName('OrdersService.create')!;
    expect(span.attributes).toMatchObject({ 'order.id': 'o-1', 'order.total': 42 });
  });

  it('never lets a throwing callback change the result: it is counted, and the span still ends', async () => {
    expect(orders.fragile()).toBe('unchanged');
    expect(orders.fragile()).toBe('unchanged');
    expect(orders.careless()).toBe(7);
    const text = await metrics();
    const failures = (callback: string, method: string) =>
      sampleValue(text, 'observability_instrumentation_callback_errors_total', { callback, class: 'OrdersService', method });
    expect(failures('attributes', 'fragile')).toBe(2);
    expect(failures('onResult', 'fragile')).toBe(2);
    expect(failures('labels', 'careless')).toBe(1);
    expect(sampleValue(text, 'orders_service_careless_total', { result: 'success', channel: 'unknown' })).toBe(1);
    expect(moduleRef.get(TestSpans).all().filter((s) => s.name === 'OrdersService.fragile')).toHaveLength(2);
  });

  it('labels a count from the arguments and the result, with the names declared and the values bounded', async () => {
    orders.place('web', 50);
    orders.place('web', 50);
    orders.place('app', 5);
    expect(() => orders.place('app', -1)).toThrow(RangeError);
    for (const channel of ['a', 'b', 'c', 'd']) orders.place(channel, 1);
    const text = await metrics();
    const count = (labels: Record<string, string>) => sampleValue(text, 'orders_service_place_total', labels);
    expect(count({ channel: 'web', big: 'true', result: 'success' })).toBe(2);
    expect(count({ channel: 'app', big: 'false', result: 'success' })).toBe(1);
    expect(count({ channel: 'app', big: 'false', result: 'failure', exception: 'RangeError' })).toBe(1);
    // Three distinct sets (web/true, app/false, a/false); every later one shares `other`.
    expect(count({ channel: 'a', big: 'false' })).toBe(1);
    expect(count({ channel: 'other', big: 'other' })).toBe(3);
    expect(text).not.toContain('channel="d"');
  });
});

describe('a labels function without its label names', () => {
  it('fails the boot, saying what is missing', async () => {
    @Injectable()
    class Careless {
      @Counted({ labels: (args) => ({ channel: args[0] }) })
      send(channel: string): string {
        return channel;
      }
    }
    const moduleRef = await Test.createTestingModule({ imports: [ObservabilityTestingModule.forRoot()], providers: [Careless] }).compile();
    const boot = moduleRef.init();
    await expect(boot).rejects.toThrow(ObservabilityConfigError);
    await expect(boot).rejects.toThrow('@Counted() on Careless.send: a labels function needs labelNames');
    await moduleRef.close().catch(() => undefined);
  });
});
