/**
 * Outgoing HTTP (`httpClient`): two real Nest processes, an "orders" one that calls a "pricing" one with
 * `fetch()`, `node:http` and undici, both exporting spans over OTLP to one receiver. Checks the client
 * spans (conventions, one trace across both processes), the client histogram against the pricing
 * service's own server histogram, unsampled calls, failures, the OTLP export not being recorded, and
 * one span per call with OpenTelemetry's http and undici auto-instrumentations registered too.
 */
import { SpanKind } from '@opentelemetry/api';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseSamples, PLATFORMS } from '../fixtures/create-test-app';
import { buildFixture, FixtureProcess } from '../support/fixture-process';
import { freePort } from '../support/free-port';
import { OtlpReceiver, ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver';
import { repoTempDir, ROOT } from '../support/sample-process';

jest.setTimeout(120_000);

const CLIENT = SpanKind.CLIENT + 1; // OTLP numbers kinds from 1 (INTERNAL)
const SERVER = SpanKind.SERVER + 1;
const CLIENTS = ['fetch', 'http', 'undici'] as const;

let build: string;
beforeAll(() => {
  build = repoTempDir('http-client');
  buildFixture(join(ROOT, 'test', 'fixtures', 'http-client', 'tsconfig.json'), build);
}, 180_000);
afterAll(() => rmSync(build, { recursive: true, force: true }));

const script = (name: string) => join(build, 'test', 'fixtures', 'http-client', `${name}.js`);

/** Sum of the samples of `name` whose labels contain every pair of `labels`. */
function total(text: string, name: string, labels: Record<string, string>): number {
  let sum = 0;
  for (const [series, value] of parseSamples(text)) {
    if (series.split('{')[0] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) sum += value;
  }
  return sum;
}

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // text
  }
  return { status: response.status, body };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(PLATFORMS)('outgoing HTTP between two Nest processes on %s', (platform) => {
  let receiver: OtlpReceiver;
  let pricing: FixtureProcess;
  let orders: FixtureProcess;
  let refusedPort: number;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    refusedPort = await freePort();
    const env = { HTTP_ADAPTER: platform, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint };
    pricing = await FixtureProcess.start(script('downstream'), env);
    orders = await FixtureProcess.start(script('upstream'), { ...env, DOWNSTREAM_URL: pricing.url, REFUSED_PORT: String(refusedPort) });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([orders?.stop(), pricing?.stop()]);
    await receiver?.close();
  });

  const spansOf = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
  const serverSpan = (name: string, service: string, traceId?: string) =>
    receiver.spans.find((s) => s.kind === SERVER && s.name === name && s.resource['service.name'] === service && (traceId === undefined || s.traceId === traceId));

  it.each(CLIENTS)('%s: a CLIENT span between the two server spans, one trace across both processes', async (client) => {
    const item = `book-${client}`;
    expect(await get(`${orders.url}/quote/${client}/${item}`)).toMatchObject({ status: 200, body: { status: 200, body: { item, price: item.length * 100 } } });
    const upstream = await until('the orders server span', () => receiver.spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === `/quote/${client}/${item}`));
    const trace = await until('the whole trace', () => {
      const spans = spansOf(upstream.traceId);
      return spans.some((s) => s.kind === CLIENT) && spans.some((s) => s.resource['service.name'] === 'pricing-fixture') ? spans : undefined;
    });
    const clientSpans = trace.filter((s) => s.kind === CLIENT);
    expect(clientSpans).toHaveLength(1);
    const span = clientSpans[0];
    const downstream = trace.find((s) => s.resource['service.name'] === 'pricing-fixture')!;
    expect(span.parentSpanId).toBe(upstream.spanId);
    expect(downstream.parentSpanId).toBe(span.spanId);
    expect(downstream.name).toBe('GET /prices/:item');
    expect(span.name).toBe('GET /prices/{item}');
    expect(span.resource['service.name']).toBe('orders-fixture');
    const query = client === 'fetch' ? '?token=REDACTED&currency=REDACTED' : client === 'http' ? '?token=REDACTED' : '';
    expect(span.attributes).toEqual({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': pricing.port,
      'url.full': `${pricing.url}/prices/${item}${query}`,
      'url.template': '/prices/{item}',
      'http.response.status_code': 200,
    });
    expect(span.status.code).toBe(0);
    // The client span lies within the caller's server span.
    expect(span.startTimeUnixNano >= upstream.startTimeUnixNano && span.endTimeUnixNano <= upstream.endTimeUnixNano).toBe(true);
  });

  it('an unsampled request: no client span, traceparent with flags 00, and the metric still counts', async () => {
    const before = (await get(`${orders.url}/metrics`)).body as string;
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await get(`${orders.url}/quote/fetch/pen`, { traceparent: `00-${traceId}-00f067aa0ba902b7-00` });
    expect(res.body.body.traceparent).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    const after = (await get(`${orders.url}/metrics`)).body as string;
    const labels = { server_port: String(pricing.port), http_response_status_code: '200', url_template: '/prices/{item}' };
    expect(total(after, 'http_client_request_duration_seconds_count', labels) - total(before, 'http_client_request_duration_seconds_count', labels)).toBe(1);
    await new Promise((r) => setTimeout(r, 500));
    expect(spansOf(traceId)).toEqual([]);
  });

  it('a 500 and a refused connection are errors, with error.type on the span and the histogram', async () => {
    expect((await get(`${orders.url}/quote/fetch/fail`)).body).toMatchObject({ status: 500 });
    expect((await get(`${orders.url}/quote/refused`)).body.error).toMatch(/ECONNREFUSED/);
    const failed = await until('the 500 client span', () => receiver.spans.find((s) => s.kind === CLIENT && s.attributes['url.full'] === `${pricing.url}/prices/fail?token=REDACTED&currency=REDACTED`));
    expect(failed.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': '500' });
    expect(failed.status.code).toBe(2);
    const refused = await until('the refused client span', () => receiver.spans.find((s) => s.kind === CLIENT && s.attributes['server.port'] === refusedPort));
    expect(refused.attributes['error.type']).toBe('ECONNREFUSED');
    expect(refused.attributes['http.response.status_code']).toBeUndefined();
    expect(refused.status.code).toBe(2);
    expect(refused.events.map((e) => e.name)).toEqual(['exception']);
    const metrics = (await get(`${orders.url}/metrics`)).body as string;
    expect(total(metrics, 'http_client_request_duration_seconds_count', { server_port: String(pricing.port), error_type: '500' })).toBeGreaterThanOrEqual(1);
    expect(total(metrics, 'http_client_request_duration_seconds_count', { server_port: String(refusedPort), error_type: 'ECONNREFUSED', http_response_status_code: '' })).toBe(1);
  });

  it("counts every call the pricing service counted, by status, and never records the OTLP export", async () => {
    for (const client of CLIENTS) await get(`${orders.url}/quote/${client}/count`);
    // Both services flushed their spans over OTLP meanwhile.
    await until('an OTLP export from each service', () => (receiver.requests >= 2 ? true : undefined));
    const server = (await get(`${orders.url}/quote/downstream-metrics`)).body as string;
    const client = (await get(`${orders.url}/metrics`)).body as string;
    for (const status of ['200', '500']) {
      const served = total(server, 'http_server_request_duration_seconds_count', { http_response_status_code: status, http_route: '/prices/:item' }) +
        total(server, 'http_server_request_duration_seconds_count', { http_response_status_code: status, http_route: '/prices/fail' });
      const called = total(client, 'http_client_request_duration_seconds_count', { server_port: String(pricing.port), http_response_status_code: status, url_template: '/prices/{item}' });
      expect({ status, called }).toEqual({ status, called: served });
    }
    expect(total(client, 'http_client_request_duration_seconds_count', { server_port: String(pricing.port), url_template: '/prices/{item}' })).toBeGreaterThanOrEqual(CLIENTS.length);
    // The call that read the pricing metrics has no template: span name `GET`, url_template="".
    expect(total(client, 'http_client_request_duration_seconds_count', { server_port: String(pricing.port), url_template: '' })).toBe(1);
    const receiverPort = new URL(receiver.url).port;
    expect(client).not.toContain(`server_port="${receiverPort}"`);
    expect(receiver.spans.some((s) => s.kind === CLIENT && s.attributes['server.port'] === Number(receiverPort))).toBe(false);
    await until('the span of the call without template', () => receiver.spans.find((s) => s.kind === CLIENT && s.name === 'GET' && s.attributes['url.full'] === `${pricing.url}/metrics`));
  });
});

describe('outgoing HTTP with OpenTelemetry http and undici auto-instrumentations registered too', () => {
  let receiver: OtlpReceiver;
  let pricing: FixtureProcess;
  let orders: FixtureProcess;

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint };
    pricing = await FixtureProcess.start(script('downstream'), env);
    orders = await FixtureProcess.start(script('upstream'), { ...env, DOWNSTREAM_URL: pricing.url, REFUSED_PORT: '1', AUTO_INSTRUMENT: '1' });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([orders?.stop(), pricing?.stop()]);
    await receiver?.close();
  });

  it.each(CLIENTS)('%s: exactly one client span, still the parent of the pricing server span, and the metric', async (client) => {
    const before = (await get(`${orders.url}/metrics`)).body as string;
    await get(`${orders.url}/quote/${client}/auto-${client}`);
    const upstream = await until('the orders server span', () =>
      receiver.spans.find((s) => s.kind === SERVER && s.resource['service.name'] === 'orders-fixture' && String(s.attributes['url.path'] ?? s.attributes['http.target'] ?? '').startsWith(`/quote/${client}/`)),
    );
    const downstream = await until('the pricing server span', () =>
      receiver.spans.find((s: ReceivedSpan) => s.traceId === upstream.traceId && s.kind === SERVER && s.resource['service.name'] === 'pricing-fixture'),
    );
    await new Promise((r) => setTimeout(r, 500));
    const clientSpans = receiver.spans.filter((s) => s.traceId === upstream.traceId && s.kind === CLIENT);
    expect(clientSpans).toHaveLength(1);
    expect(clientSpans[0].scope).not.toBe('nestjs-observability');
    expect(downstream.parentSpanId).toBe(clientSpans[0].spanId);
    const after = (await get(`${orders.url}/metrics`)).body as string;
    const labels = { server_port: String(pricing.port), url_template: '/prices/{item}' };
    expect(total(after, 'http_client_request_duration_seconds_count', labels) - total(before, 'http_client_request_duration_seconds_count', labels)).toBe(1);
  });
});
