import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { gzipSync } from 'node:zlib';
import { OTLP_SPAN_KIND, OTLP_STATUS_CODE, startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver';

type ExporterConfig = NonNullable<ConstructorParameters<typeof OTLPTraceExporter>[0]>;

function providerFor(config: ExporterConfig): TracerProvider {
  return new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'otlp-receiver-spec' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: new OTLPTraceExporter(config) })],
  });
}

/** Real SDK output, serialized by OTel's own protobuf serializer (the one the proto exporter uses). */
function serializedSpans(): Uint8Array {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: memory })] });
  provider.getTracer('manual').startSpan('manual-span', { attributes: { n: 1 } }).end();
  const body = ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans());
  if (!body) throw new Error('serializer returned nothing');
  return body;
}

describe('OTLP receiver test helper', () => {
  let receiver: OtlpReceiver | undefined;
  const providers: TracerProvider[] = [];

  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
    await Promise.all(providers.splice(0).map((p) => p.shutdown().catch(() => undefined)));
  });

  it('listens on 127.0.0.1 on a free port', async () => {
    receiver = await startOtlpReceiver();
    expect(receiver.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(receiver.url).toBe(`${receiver.endpoint}/v1/traces`);
  });

  it('decodes what the real OTLP/proto exporter sends: ids, parent, attributes, event, status, resource, scope', async () => {
    receiver = await startOtlpReceiver();
    const provider = providerFor({ url: receiver.url });
    providers.push(provider);
    const tracer = provider.getTracer('spec-tracer', '1.2.3');

    const parent = tracer.startSpan('GET /orders', {
      kind: SpanKind.SERVER,
      attributes: { 'http.route': '/orders', 'http.status_code': 200, ratio: 0.5, cached: false, tags: ['a', 'b'] },
    });
    const child = tracer.startSpan('load-orders', { kind: SpanKind.INTERNAL }, trace.setSpan(context.active(), parent));
    child.addEvent('cache-miss', { key: 'orders:1', attempt: 2 });
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'db down' });
    child.end();
    parent.end();
    await provider.forceFlush();

    const spans = await receiver.waitForSpans(2);
    expect(spans).toHaveLength(2);
    expect(receiver.contentTypes.length).toBeGreaterThan(0);
    for (const type of receiver.contentTypes) expect(type).toBe('application/x-protobuf');

    const byName = new Map(spans.map((s) => [s.name, s]));
    const p = byName.get('GET /orders')!;
    const c = byName.get('load-orders')!;
    expect(p).toBeDefined();
    expect(c).toBeDefined();

    expect(p.traceId).toBe(parent.spanContext().traceId);
    expect(p.spanId).toBe(parent.spanContext().spanId);
    expect(p.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(p.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(p.parentSpanId).toBe('');
    expect(c.traceId).toBe(p.traceId);
    expect(c.spanId).toBe(child.spanContext().spanId);
    expect(c.parentSpanId).toBe(p.spanId);

    expect(p.kind).toBe(OTLP_SPAN_KIND.SPAN_KIND_SERVER);
    expect(c.kind).toBe(OTLP_SPAN_KIND.SPAN_KIND_INTERNAL);
    expect(p.attributes).toEqual({ 'http.route': '/orders', 'http.status_code': 200, ratio: 0.5, cached: false, tags: ['a', 'b'] });
    expect(c.events).toEqual([{ name: 'cache-miss', attributes: { key: 'orders:1', attempt: 2 } }]);
    expect(c.status).toEqual({ code: OTLP_STATUS_CODE.STATUS_CODE_ERROR, message: 'db down' });
    expect(p.status.code).toBe(OTLP_STATUS_CODE.STATUS_CODE_UNSET);

    expect(typeof p.startTimeUnixNano).toBe('bigint');
    expect(p.endTimeUnixNano).toBeGreaterThanOrEqual(p.startTimeUnixNano);
    const nowNs = BigInt(Date.now()) * 1_000_000n;
    expect(nowNs - p.startTimeUnixNano).toBeLessThan(60n * 1_000_000_000n);

    expect(p.resource['service.name']).toBe('otlp-receiver-spec');
    expect(p.scope).toBe('spec-tracer');
  });

  it('decodes gzip bodies from the exporter with compression on', async () => {
    receiver = await startOtlpReceiver();
    const provider = providerFor({ url: receiver.url, compression: 'gzip' as ExporterConfig['compression'] });
    providers.push(provider);
    provider.getTracer('gzip-tracer').startSpan('zipped').end();
    await provider.forceFlush();

    const [span] = await receiver.waitForSpans(1);
    expect(span.name).toBe('zipped');
    expect(span.scope).toBe('gzip-tracer');
    expect(receiver.contentEncodings).toEqual(['gzip']);
  });

  it('decodes a gzip body posted by hand and answers 200 with an empty protobuf response', async () => {
    receiver = await startOtlpReceiver();
    const res = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      body: gzipSync(serializedSpans()),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    expect(receiver.spans.map((s) => [s.name, s.attributes])).toEqual([['manual-span', { n: 1 }]]);
  });

  it('rejects a non-protobuf content type with 415 and records it', async () => {
    receiver = await startOtlpReceiver();
    const res = await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(415);
    expect(receiver.requests).toBe(1);
    expect(receiver.contentTypes).toEqual(['application/json']);
    expect(receiver.contentEncodings).toEqual(['']);
    expect(receiver.spans).toEqual([]);
  });

  it("answers 500 in 'fail500' mode, still recording what arrived", async () => {
    receiver = await startOtlpReceiver({ mode: 'fail500' });
    const res = await fetch(receiver.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: serializedSpans(),
    });
    expect(res.status).toBe(500);
    expect(receiver.requests).toBe(1);
    expect(receiver.spans.map((s) => s.name)).toEqual(['manual-span']);
  });

  it("never answers in 'hang' mode, and close() still returns promptly", async () => {
    receiver = await startOtlpReceiver({ mode: 'hang' });
    const provider = providerFor({ url: receiver.url, timeoutMillis: 3000 });
    providers.push(provider);
    provider.getTracer('hang-tracer').startSpan('never-acknowledged').end();

    const [span] = await receiver.waitForSpans(1);
    expect(span.name).toBe('never-acknowledged');

    let flushed = false;
    const flush = provider.forceFlush().finally(() => (flushed = true));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(flushed).toBe(false); // the export is still waiting for an answer

    const started = performance.now();
    await receiver.close();
    expect(performance.now() - started).toBeLessThan(1000);
    receiver = undefined;

    // Once the socket is gone the exporter gives up (its retry then meets a closed port) instead of
    // hanging; SimpleSpanProcessor.forceFlush rejects with the export errors in that case.
    const [outcome] = await Promise.allSettled([flush]);
    expect(outcome.status).toBe('rejected');
  });

  it('waitForSpans rejects with a clear message on timeout', async () => {
    receiver = await startOtlpReceiver();
    await expect(receiver.waitForSpans(1, 50)).rejects.toThrow('wanted 1 span(s), got 0 in 0 request(s)');
  });
});
