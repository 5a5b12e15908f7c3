import { Test, TestingModule } from '@nestjs/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MetricsService, ObservabilityTestingModule, TestSpans } from '../../lib';
import { extractSnippets } from '../support/doc-snippets';
import { sampleValue } from '../fixtures/create-test-app';
import { OrdersService } from '../fixtures/docs/orders.service';

const ROOT = join(__dirname, '../..');

describe('the decorators snippet of docs/tracing.md', () => {
  it('is the fixture this spec boots, word for word', () => {
    const page = readFileSync(join(ROOT, 'docs/tracing.md'), 'utf8');
    const snippet = extractSnippets('docs/tracing.md', page).find((s) => s.file === 'src/orders.service.ts');
    const fixture = readFileSync(join(ROOT, 'test/fixtures/docs/orders.service.ts'), 'utf8').replace("'../../../lib'", "'nestjs-observability'");
    expect(snippet?.code).toBe(fixture);
  });

  describe('booted', () => {
    let moduleRef: TestingModule;
    beforeEach(async () => {
      moduleRef = await Test.createTestingModule({ imports: [ObservabilityTestingModule.forRoot()], providers: [OrdersService] }).compile();
      await moduleRef.init();
    });
    afterEach(() => moduleRef.close());

    it('answers as the comments say', async () => {
      const orders = moduleRef.get(OrdersService);
      const order = await orders.find('o-7');
      expect(orders.place(order)).toBe('o-7');
      expect(await orders.create(order)).toBe(order);
      expect(orders.ping()).toBe('pong');

      const spans = moduleRef.get(TestSpans).all();
      expect(spans.map((s) => s.name).sort()).toEqual(['OrdersService.find', 'OrdersService.place', 'orders.create']);
      expect(spans.find((s) => s.name === 'OrdersService.find')!.attributes).toMatchObject({ 'order.id': 'o-7', 'order.items': 1 });
      const text = await moduleRef.get(MetricsService).registry.metrics();
      expect(sampleValue(text, 'orders_service_place_total', { channel: 'web', result: 'success' })).toBe(1);
      expect(sampleValue(text, 'orders_create_total', { result: 'success' })).toBe(1);
      expect(sampleValue(text, 'orders_create_seconds_count', { result: 'success' })).toBe(1);
    });
  });
});
