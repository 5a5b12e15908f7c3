import { Controller, Get, INestApplication, Injectable, Param, SetMetadata } from '@nestjs/common';
import request from 'supertest';
import { Counted, MetricsService, NoMetrics, NoTrace, ObservabilityTestingModule, TestSpans, Timed, Traced } from '../../lib';
import { INSTRUMENTATION_METADATA } from '../../lib/observability.constants';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';

class BaseRepository {
  inherited(): string {
    return 'base';
  }
}

@Traced()
@Counted()
@Injectable()
class PaymentsService extends BaseRepository {
  private calls = 0;

  static helper(): string {
    return 'static';
  }

  get total(): number {
    return this.calls;
  }

  @SetMetadata('payments:kind', 'card')
  charge(amount: number): number {
    this.calls++;
    return amount * 2;
  }

  async refund(amount: number): Promise<number> {
    return -amount;
  }

  @NoTrace()
  ping(): string {
    return 'pong';
  }

  @NoMetrics()
  @NoTrace()
  quiet(): string {
    return 'shh';
  }

  @Traced('payments.authorize')
  @Counted('payments_authorized')
  authorize(): boolean {
    return true;
  }
}

@Timed()
@Controller('payments')
class PaymentsController {
  constructor(private readonly payments: PaymentsService) {}

  @Get(':amount')
  charge(@Param('amount') amount: string): { charged: number } {
    return { charged: this.payments.charge(Number(amount)) };
  }
}

describe('class-level decorators: what they cover', () => {
  it('decorate each declared method once, leave getters, statics, inherited methods and opt-outs alone, and keep metadata', () => {
    const kinds = (name: keyof PaymentsService) =>
      ((Reflect.getMetadata(INSTRUMENTATION_METADATA, PaymentsService.prototype[name] as object) ?? []) as Array<{ kind: string; options: { name?: string } }>);
    expect(kinds('charge').map((s) => s.kind)).toEqual(['counted', 'traced']);
    expect(kinds('refund').map((s) => s.kind)).toEqual(['counted', 'traced']);
    expect(kinds('ping').map((s) => s.kind)).toEqual(['counted']);
    expect(kinds('quiet')).toEqual([]);
    // The method's own decorators win: one spec per kind, with the method's options.
    expect(kinds('authorize').map((s) => [s.kind, s.options.name])).toEqual([['counted', 'payments_authorized'], ['traced', 'payments.authorize']]);
    expect(kinds('inherited')).toEqual([]);
    expect(Reflect.getMetadata(INSTRUMENTATION_METADATA, PaymentsService.helper)).toBeUndefined();
    expect(typeof Object.getOwnPropertyDescriptor(PaymentsService.prototype, 'total')!.get).toBe('function');
    expect(PaymentsService.prototype.charge.name).toBe('charge');
    expect(PaymentsService.prototype.charge.length).toBe(1);
    expect(Reflect.getMetadata('payments:kind', PaymentsService.prototype.charge)).toBe('card');
  });
});

describe.each(PLATFORMS)('class-level decorators on %s', (platform) => {
  let app: INestApplication;
  let payments: PaymentsService;
  let spans: TestSpans;
  const scrape = async () => app.get(MetricsService).registry.metrics();

  beforeEach(async () => {
    app = await createTestApp(platform, {
      imports: [ObservabilityTestingModule.forRoot()],
      controllers: [PaymentsController],
      providers: [PaymentsService],
    });
    payments = app.get(PaymentsService);
    spans = app.get(TestSpans);
  });
  afterEach(() => app.close());

  it('counts and traces every declared method, honours opt-outs and the method-level override', async () => {
    expect(payments.charge(2)).toBe(4);
    expect(await payments.refund(3)).toBe(-3);
    expect(payments.ping()).toBe('pong');
    expect(payments.quiet()).toBe('shh');
    expect(payments.authorize()).toBe(true);
    expect(payments.inherited()).toBe('base');
    expect(payments.total).toBe(1);

    const text = await scrape();
    expect(sampleValue(text, 'payments_service_charge_total', { result: 'success' })).toBe(1);
    expect(sampleValue(text, 'payments_service_refund_total', { result: 'success' })).toBe(1);
    expect(sampleValue(text, 'payments_service_ping_total', { result: 'success' })).toBe(1);
    expect(sampleValue(text, 'payments_authorized_total', { result: 'success' })).toBe(1);
    expect(text).not.toContain('payments_service_quiet');
    expect(text).not.toContain('payments_service_authorize_total');
    expect(text).not.toContain('inherited');
    expect(spans.all().map((s) => s.name).sort()).toEqual(['PaymentsService.charge', 'PaymentsService.refund', 'payments.authorize']);
  });

  it('times the handlers of a class-level @Timed() controller, and routing still works', async () => {
    await request(app.getHttpServer()).get('/payments/5').expect(200, { charged: 10 });
    const text = await scrape();
    expect(sampleValue(text, 'payments_controller_charge_seconds_count', { result: 'success' })).toBe(1);
    expect(sampleValue(text, 'payments_service_charge_total', { result: 'success' })).toBe(1);
  });
});
