import { INestApplication } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ObservabilityTestingModule, TestSpans } from '../../lib';
import { BaggageModule, sink } from '../fixtures/baggage.app';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';
import { writeDocSnippets } from '../support/doc-snippet-files';
import { HeaderSink, startHeaderSink } from '../support/header-sink';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe.each(PLATFORMS)('@CurrentSpan(), @Baggage() and TracingService baggage on %s', (platform) => {
  let app: INestApplication;
  let downstream: HeaderSink;
  beforeAll(async () => {
    downstream = await startHeaderSink();
    sink.url = downstream.url;
    app = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot(), BaggageModule] });
  });
  afterAll(async () => {
    await app.close();
    await downstream.close();
  });
  beforeEach(() => {
    downstream.received.length = 0;
    app.get(TestSpans).reset();
  });

  it('reads the incoming baggage header in the handler and in a provider; @CurrentSpan() is the server span', async () => {
    const body = (await request(app.getHttpServer()).get('/baggage').set('traceparent', TRACEPARENT).set('baggage', 'tenant=acme,plan=gold;ttl=5').expect(200)).body;
    expect(body).toMatchObject({ tenant: 'acme', all: { tenant: 'acme', plan: 'gold' }, fromProvider: 'acme', traceId: '0af7651916cd43dd8448eb211c80319c' });
    const [server] = await app.get(TestSpans).waitFor(1);
    expect(server.kind).toBe(SpanKind.SERVER);
    expect(server.spanContext().traceId).toBe(body.traceId);
  });

  it('without a baggage header: no entry, an empty record; the span is still there', async () => {
    const body = (await request(app.getHttpServer()).get('/baggage').expect(200)).body;
    expect(body).toMatchObject({ tenant: null, all: {}, fromProvider: null });
    expect(body.traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('the incoming baggage is sent on outgoing calls', async () => {
    await request(app.getHttpServer()).get('/baggage/relay').set('traceparent', TRACEPARENT).set('baggage', 'tenant=acme').expect(200);
    expect(downstream.received).toHaveLength(1);
    expect(downstream.received[0].baggage).toBe('tenant=acme');
    expect(downstream.received[0].traceparent).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-/);
  });

  it('withBaggage() adds entries for the calls made inside it (after an await too), and only there', async () => {
    const body = (await request(app.getHttpServer()).get('/baggage/relay-with').set('baggage', 'tenant=acme').expect(200)).body;
    expect(body.inside).toEqual({ tenant: 'acme', 'order.id': '7' });
    expect(body.after).toEqual({ tenant: 'acme' });
    expect(String(downstream.received[0].baggage).split(',').sort()).toEqual(['order.id=7', 'tenant=acme']);
  });
});

describe('docs/tracing.md: the span and the baggage in handlers and providers', () => {
  it('its controller boots and answers: the tenant from the baggage, on the span and sent to billing with order.id', async () => {
    const billing = await startHeaderSink();
    const dir = writeDocSnippets('docs/tracing.md');
    const saved = process.env.BILLING_URL;
    process.env.BILLING_URL = billing.url;
    try {
      const { TenantsModule } = require(join(dir, 'src/tenants.controller.ts'));
      const app = await createTestApp('express', { imports: [ObservabilityTestingModule.forRoot(), TenantsModule] });
      try {
        const body = (await request(app.getHttpServer()).get('/tenants/current').set('baggage', 'tenant.id=acme').expect(200)).body;
        expect(body).toEqual({ tenant: 'acme', charged: true });
        expect(String(billing.received[0].baggage).split(',').sort()).toEqual(['order.id=7', 'tenant.id=acme']);
        // The billing call's CLIENT span ends first (at its response headers), then the request's server span.
        const server = (await app.get(TestSpans).waitFor(2)).find((span) => span.kind === SpanKind.SERVER);
        expect(server?.attributes['tenant.id']).toBe('acme');
      } finally {
        await app.close();
      }
    } finally {
      if (saved === undefined) delete process.env.BILLING_URL;
      else process.env.BILLING_URL = saved;
      rmSync(dir, { recursive: true, force: true });
      await billing.close();
    }
  });
});
