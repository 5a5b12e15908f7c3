import { Controller, Get, INestApplication, Injectable, Module } from '@nestjs/common';
import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import request from 'supertest';
import { ObservabilityTestingModule, TestSpans, Traced } from '../../lib';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';

const CONNECTION = 'connect ECONNREFUSED postgres://orders_admin:S3cr3t@db.internal:5432/orders?password=hunter2';

class DatabaseError extends Error {}

@Injectable()
class OrdersRepository {
  @Traced()
  async find(): Promise<never> {
    throw new DatabaseError(CONNECTION);
  }

  @Traced()
  rejectWithString(): Promise<never> {
    return Promise.reject(`lost ${CONNECTION}`);
  }

  @Traced()
  throwBare(): never {
    const bare = Object.create(null) as Record<string, unknown>;
    bare.code = 'E_BARE';
    throw bare;
  }

  @Traced()
  throwUnprintable(): never {
    throw Object.create(null);
  }
}

@Controller('orders')
class OrdersController {
  constructor(private readonly orders: OrdersRepository) {}

  @Get()
  list(): Promise<never> {
    return this.orders.find();
  }
}

@Module({ controllers: [OrdersController], providers: [OrdersRepository] })
class OrdersModule {}

/** Everything a span exports about its failure: status message and exception event attributes. */
function exported(span: ReadableSpan): string {
  return JSON.stringify([span.status, span.events.map((e) => e.attributes)]);
}

describe.each(PLATFORMS)('exceptions on spans on %s', (platform) => {
  let app: INestApplication;
  let spans: TestSpans;

  beforeEach(async () => {
    app = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot(), OrdersModule] });
    spans = app.get(TestSpans);
  });
  afterEach(() => app.close());

  it('exports no password in the exception event or the status message of a @Traced method, nor of the server span', async () => {
    await request(app.getHttpServer()).get('/orders').expect(500);
    await spans.waitFor(2);
    const method = spans.byName('OrdersRepository.find')!;
    expect(method.status).toEqual({ code: SpanStatusCode.ERROR, message: 'connect ECONNREFUSED postgres://orders_admin:***@db.internal:5432/orders?password=***' });
    expect(method.events[0].attributes).toMatchObject({ 'exception.type': 'DatabaseError', 'exception.message': method.status.message });
    expect(String(method.events[0].attributes?.['exception.stacktrace'])).toContain('orders_admin:***@db.internal');
    for (const span of spans.all()) {
      expect(exported(span)).not.toContain('S3cr3t');
      expect(exported(span)).not.toContain('hunter2');
    }
  });

  it('redacts a rejected string', async () => {
    await expect(app.get(OrdersRepository).rejectWithString()).rejects.toContain('S3cr3t');
    const span = (await spans.waitFor(1))[0];
    expect(span.status.message).toBe('lost connect ECONNREFUSED postgres://orders_admin:***@db.internal:5432/orders?password=***');
    expect(exported(span)).not.toContain('S3cr3t');
  });

  it('ends the span of a thrown value that cannot be made a string, rethrown as is', async () => {
    const repository = app.get(OrdersRepository);
    const thrown = (call: () => unknown) => {
      try {
        call();
      } catch (error) {
        return error;
      }
      throw new Error('did not throw');
    };
    expect(Object.getPrototypeOf(thrown(() => repository.throwBare()))).toBeNull();
    expect(Object.getPrototypeOf(thrown(() => repository.throwUnprintable()))).toBeNull();
    await spans.waitFor(2);
    const [bare, unprintable] = [spans.byName('OrdersRepository.throwBare')!, spans.byName('OrdersRepository.throwUnprintable')!];
    expect(bare.ended).toBe(true);
    expect(bare.status).toEqual({ code: SpanStatusCode.ERROR, message: '{"code":"E_BARE"}' });
    expect(bare.events[0].attributes).toMatchObject({ 'exception.type': 'Object', 'exception.message': '{"code":"E_BARE"}' });
    expect(unprintable.status).toEqual({ code: SpanStatusCode.ERROR, message: '{}' });
  });
});
