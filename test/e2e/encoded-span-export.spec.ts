import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { detectResources, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { TracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace';
import type { Worker } from 'node:worker_threads';
import { EncodedSpanProcessor } from '../../lib/tracing/sdk/encoded-span.processor';
import { ExportFailureReporter } from '../../lib/tracing/sdk/export-failure.reporter';
import { SpanExportStats } from '../../lib/tracing/sdk/span-export.stats';
import { WorkerSpanExporter, type WorkerExportTarget } from '../../lib/tracing/sdk/worker-span.exporter';
import { captureLogger } from '../support/capture-logger';
import { decodeTraceRequestMessage, startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver';

/** Keeps every span that ends, to give the SDK's own serializer the very same spans. */
class KeepingProcessor implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
  }
  forceFlush = () => Promise.resolve();
  shutdown = () => Promise.resolve();
}

interface Setup {
  provider: TracerProvider;
  encoded: EncodedSpanProcessor;
  exporter: WorkerSpanExporter;
  kept: KeepingProcessor;
  stats: SpanExportStats;
  logs: ReturnType<typeof captureLogger>;
}

function setUp(target: Partial<WorkerExportTarget> & { url: string }, resource: Resource, options: { batch?: number; queue?: number; spanLimits?: object } = {}): Setup {
  const stats = new SpanExportStats();
  const logs = captureLogger();
  const exporter = new WorkerSpanExporter({ headers: {}, compression: 'none', timeoutMillis: 5000, ...target });
  const encoded = new EncodedSpanProcessor(exporter, stats, new ExportFailureReporter('spans', target.url, () => logs), () => logs, {
    maxQueueSize: options.queue ?? 2048,
    maxQueueBytes: (options.queue ?? 2048) * 2048,
    maxExportBatchSize: options.batch ?? 512,
    scheduledDelayMillis: 60_000,
  });
  const kept = new KeepingProcessor();
  const provider = new TracerProvider({ resource, spanProcessors: [encoded, kept], spanLimits: options.spanLimits });
  return { provider, encoded, exporter, kept, stats, logs };
}

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';

/** Spans with every field the OTLP `Span` message has: kinds, parents (local, remote), trace state, all attribute types, events, links, statuses, dropped counts. */
function makeSpans(tracer: Tracer, other: Tracer): void {
  const remote = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE_ID, spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true, traceState: new TraceState('vendor=a1,other=b2') });
  const root = tracer.startSpan('GET /items/:id', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'GET',
      'url.path': '/items/9',
      'http.response.status_code': 200,
      'server.port': 3000,
      'a.negative': -42,
      'a.big': 2 ** 40 + 7,
      'a.float': 0.25,
      'a.bool': true,
      'a.false': false,
      'a.unicode': 'grüße, 日本 😀',
      'a.strings': ['x', 'ÿ', ''],
      'a.numbers': [1, 2.5, -3],
      'a.bools': [true, false],
      'a.sparse': ['a', null, 'c'] as string[],
      'a.empty': [],
      'a.long': 'L'.repeat(300),
    },
  }, remote);
  root.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'boom', 'exception.count': 3 });
  root.addEvent('plain');
  const child = tracer.startSpan('InventoryService.reserve', { kind: SpanKind.INTERNAL, links: [{ context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0, isRemote: true, traceState: new TraceState('k=v') }, attributes: { 'link.why': 'batch', 'link.n': 2 } }] }, trace.setSpan(context.active(), root));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'out of stock' });
  const client = other.startSpan('GET', { kind: SpanKind.CLIENT, startTime: [1_700_000_000, 123_456_789] }, trace.setSpan(context.active(), child));
  client.setAttribute('many.1', 1);
  for (let i = 2; i <= 8; i++) client.setAttribute(`many.${i}`, i); // beyond the count limit: dropped, and counted
  for (let i = 0; i < 6; i++) client.addEvent(`e${i}`);
  client.setStatus({ code: SpanStatusCode.OK });
  client.end([1_700_000_000, 987_654_321]);
  other.startSpan('produce', { kind: SpanKind.PRODUCER }).end();
  tracer.startSpan('consume', { kind: SpanKind.CONSUMER, links: [{ context: { traceId: TRACE_ID, spanId: '1111111111111111', traceFlags: 1 } }, { context: { traceId: TRACE_ID, spanId: '2222222222222222', traceFlags: 1 } }, { context: { traceId: TRACE_ID, spanId: '3333333333333333', traceFlags: 1 } }] }).end();
  child.end();
  root.end();
}

describe('the encoded span path (spans encoded when they end, exported from a worker thread)', () => {
  let receiver: OtlpReceiver | undefined;
  let setup: Setup | undefined;
  afterEach(async () => {
    await setup?.provider.shutdown().catch(() => undefined);
    await receiver?.close();
    receiver = setup = undefined;
  });

  it.each([
    ['attributes of the resource only', () => resourceFromAttributes({ 'service.name': 'orders', 'service.version': '1.2.3', 'host.cores': 2, 'ratio': 0.5, 'flags': ['a', 'b'], 'on': true }, { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' })],
    ['asynchronous resource detectors (host.id arrives later)', () => detectResources({ detectors: [require('@opentelemetry/resources').hostDetector, require('@opentelemetry/resources').processDetector] }).merge(resourceFromAttributes({ 'service.name': 'orders' }))],
  ])('sends the message the SDK exporter would have sent for the same spans, field by field: %s', async (_case, resource) => {
    receiver = await startOtlpReceiver();
    setup = setUp({ url: receiver.url }, resource(), { spanLimits: { attributeCountLimit: 18, eventCountLimit: 4, linkCountLimit: 2 } });
    const tracer = setup.provider.getTracer('nestjs-observability', '0.1.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
    makeSpans(tracer, setup.provider.getTracer('outgoing-http'));
    await setup.encoded.forceFlush();
    expect(receiver.traceBodies).toHaveLength(1);

    const ours = decodeTraceRequestMessage(receiver.traceBodies[0]) as any;
    const sdkBytes = ProtobufTraceSerializer.serializeRequest(setup.kept.spans)!;
    const sdk = decodeTraceRequestMessage(sdkBytes) as any;
    expect(setup.kept.spans).toHaveLength(5);
    // Resource and its schema URL.
    expect(ours.resourceSpans).toHaveLength(1);
    expect(ours.resourceSpans[0].resource).toEqual(sdk.resourceSpans[0].resource);
    expect(ours.resourceSpans[0].schemaUrl).toBe(sdk.resourceSpans[0].schemaUrl);
    // Scopes (two tracers), in the same order, with version and schema URL.
    expect(ours.resourceSpans[0].scopeSpans.map((s: any) => [s.scope, s.schemaUrl])).toEqual(sdk.resourceSpans[0].scopeSpans.map((s: any) => [s.scope, s.schemaUrl]));
    expect(ours.resourceSpans[0].scopeSpans.map((s: any) => s.scope.name)).toEqual(['outgoing-http', 'nestjs-observability']); // by first span to end
    // Each span, field by field.
    const oursSpans = ours.resourceSpans[0].scopeSpans.flatMap((s: any) => s.spans);
    const sdkSpans = sdk.resourceSpans[0].scopeSpans.flatMap((s: any) => s.spans);
    expect(oursSpans).toHaveLength(5);
    const fields = ['traceId', 'spanId', 'traceState', 'parentSpanId', 'flags', 'name', 'kind', 'startTimeUnixNano', 'endTimeUnixNano', 'attributes', 'droppedAttributesCount', 'events', 'droppedEventsCount', 'links', 'droppedLinksCount', 'status'];
    for (let i = 0; i < sdkSpans.length; i++) {
      for (const field of fields) expect([sdkSpans[i].name, field, oursSpans[i][field]]).toEqual([sdkSpans[i].name, field, sdkSpans[i][field]]);
    }
    // Nothing else differs either, and the spans do carry what is compared (the test is not vacuous).
    expect(ours).toEqual(sdk);
    const byName = Object.fromEntries(oursSpans.map((s: any) => [s.name, s]));
    expect(byName['GET /items/:id'].traceState).toBe('vendor=a1,other=b2');
    expect(byName['GET /items/:id'].parentSpanId).toBe('b7ad6b7169203331');
    expect(byName['GET /items/:id'].flags).toBe(0x301);
    expect(byName['GET /items/:id'].attributes.length).toBe(16);
    expect(byName['GET /items/:id'].events).toHaveLength(2);
    expect(byName['InventoryService.reserve'].links[0].attributes).toHaveLength(2);
    expect(byName['InventoryService.reserve'].status).toEqual({ code: 2, message: 'out of stock' });
    expect(byName.GET.droppedAttributesCount).toBe(0);
    expect(byName.GET.droppedEventsCount).toBe(2);
    expect(byName.consume.droppedLinksCount).toBe(1);
    expect(byName.GET.startTimeUnixNano).toBe('1700000000123456789');
    expect(setup.stats).toMatchObject({ ended: 5, exported: 5, failed: 0, dropped: 0 });
    // The same fields in the same order make the same bytes.
    expect(receiver.traceBodies[0].equals(Buffer.from(sdkBytes))).toBe(true);
  });

  it('compresses with gzip and sends the configured headers, over one kept-alive connection', async () => {
    receiver = await startOtlpReceiver();
    setup = setUp({ url: receiver.url, compression: 'gzip', headers: { authorization: 'Bearer t0ken', 'x-tenant': 'acme' } }, resourceFromAttributes({ 'service.name': 'orders' }), { batch: 2 });
    const tracer = setup.provider.getTracer('t');
    for (let i = 0; i < 6; i++) tracer.startSpan(`s${i}`).end();
    await setup.encoded.forceFlush();
    expect(receiver.spans.map((s) => s.name)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    expect(receiver.contentEncodings).toEqual(['gzip', 'gzip', 'gzip']);
    expect(receiver.headers.map((h) => [h.authorization, h['x-tenant'], h['content-type'], h.connection])).toEqual(Array(3).fill(['Bearer t0ken', 'acme', 'application/x-protobuf', 'keep-alive']));
    expect(setup.stats).toMatchObject({ ended: 6, exported: 6 });
  });

  it('retries a 503 after its Retry-After, and delivers', async () => {
    receiver = await startOtlpReceiver({ mode: 'fail503' });
    setup = setUp({ url: receiver.url }, resourceFromAttributes({}));
    setup.provider.getTracer('t').startSpan('retried').end();
    const flushed = setup.encoded.forceFlush();
    await receiver.waitForSpans(1); // answered 503 by then
    receiver.setMode('ok');
    await flushed;
    expect(receiver.requests).toBe(2);
    expect(setup.stats).toMatchObject({ ended: 1, exported: 1, failed: 0 });
    expect(setup.logs.warnings).toEqual([]);
  });

  it('drops and counts spans beyond the queue, says so once, and never blocks', async () => {
    receiver = await startOtlpReceiver({ mode: 'hang' });
    setup = setUp({ url: receiver.url, timeoutMillis: 300 }, resourceFromAttributes({}), { batch: 5, queue: 10 });
    const tracer = setup.provider.getTracer('t');
    for (let i = 0; i < 100; i++) tracer.startSpan(`s${i}`).end();
    expect(setup.stats.ended).toBe(100);
    expect(setup.stats.pending).toBeLessThanOrEqual(10);
    expect(setup.stats.dropped).toBe(90);
    await setup.encoded.forceFlush().catch(() => undefined);
    expect(setup.stats).toMatchObject({ ended: 100, dropped: 90, failed: 10, exported: 0 });
    expect(setup.logs.warnings.filter((w) => w.startsWith('The span export queue is full'))).toHaveLength(1);
  });

  it('replaces a thread that dies, and counts the spans it held as dropped', async () => {
    receiver = await startOtlpReceiver({ mode: 'hang' });
    setup = setUp({ url: receiver.url }, resourceFromAttributes({}), { batch: 3 });
    const tracer = setup.provider.getTracer('t');
    for (let i = 0; i < 3; i++) tracer.startSpan(`lost${i}`).end();
    await receiver.waitForRequests(1);
    // The thread dies with the batch in it (as on an out-of-memory abort or a native crash).
    await (setup.exporter as unknown as { worker: Worker }).worker.terminate();
    await new Promise((r) => setImmediate(r));
    expect(setup.stats).toMatchObject({ ended: 3, dropped: 3, exported: 0, failed: 0 });
    expect(setup.logs.warnings).toEqual([expect.stringMatching(/^3 span\(s\) were lost with the span export thread .*otel_sdk_spans_dropped_total/)]);
    receiver.setMode('ok');
    for (let i = 0; i < 3; i++) tracer.startSpan(`kept${i}`).end();
    await setup.encoded.forceFlush();
    expect(receiver.spans.map((s) => s.name).filter((n) => n.startsWith('kept'))).toEqual(['kept0', 'kept1', 'kept2']);
    expect(setup.stats).toMatchObject({ ended: 6, dropped: 3, exported: 3 });
  });
});
