import { ROOT_CONTEXT, SamplingDecision, SpanKind, SpanStatusCode, trace, type Sampler, type Tracer, type TracerProvider as ApiTracerProvider } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { EncodedSpanProcessor } from '../../lib/tracing/sdk/encoded-span.processor';
import { ExportFailureReporter } from '../../lib/tracing/sdk/export-failure.reporter';
import { SpanExportStats } from '../../lib/tracing/sdk/span-export.stats';
import { WorkerSpanExporter } from '../../lib/tracing/sdk/worker-span.exporter';
import { ObservabilityTracerProvider } from '../../lib/tracing/span/observability-tracer.provider';
import { spanLimitsFrom } from '../../lib/tracing/span/span-limits';
import { captureLogger } from '../support/capture-logger';
import { decodeTraceRequestMessage, startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver';

/** The same ids, in the same order, for both providers. */
function countingIds() {
  let t = 0;
  let s = 0;
  return {
    generateTraceId: () => (++t).toString(16).padStart(32, 'a'),
    generateSpanId: () => (++s).toString(16).padStart(16, 'b'),
  };
}

const ALWAYS: Sampler = { shouldSample: () => ({ decision: SamplingDecision.RECORD_AND_SAMPLED }), toString: () => 'always' };
const LIMITS = { attributeCountLimit: 18, attributeValueLengthLimit: 40, eventCountLimit: 4, linkCountLimit: 2, attributePerEventCountLimit: 2, attributePerLinkCountLimit: 1 };
const T0 = 1_700_000_000_000; // epoch ms, far above performance.now(): read as epoch milliseconds by both

/** Server span under a remote parent, internal child with a link and an exception, client with dropped attributes and events, producer, consumer with too many links. Every time is given, so both runs have the same. */
function makeSpans(tracer: Tracer, other: Tracer): void {
  const remote = trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1, isRemote: true, traceState: new TraceState('vendor=a1,other=b2') });
  const root = tracer.startSpan('GET', {
    kind: SpanKind.SERVER,
    startTime: T0,
    attributes: { 'http.request.method': 'GET', 'url.path': '/items/9', 'a.negative': -42, 'a.big': 2 ** 40 + 7, 'a.float': 0.25, 'a.bool': true, 'a.unicode': 'grüße, 日本 😀', 'a.strings': ['x', 'ÿ', ''], 'a.numbers': [1, 2.5, -3], 'a.empty': [], 'a.long': 'L'.repeat(300), 'a.map': { deep: 'D'.repeat(100), n: 1 } as never, 'a.undefined': undefined, '': 'empty key' },
  }, remote);
  root.setAttributes({ 'http.response.status_code': 200, 'http.route': '/items/:id' });
  root.updateName('GET /items/:id');
  root.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'boom', 'exception.count': 3 }, T0 + 1);
  root.addEvent('plain', new Date(T0 + 2));
  root.addEvent('hr', [1_700_000_000, 123_456_789]);
  const child = tracer.startSpan('InventoryService.reserve', { startTime: new Date(T0 + 3), links: [{ context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 0, isRemote: true, traceState: new TraceState('k=v') }, attributes: { 'link.why': 'batch', 'link.n': 2 } }] }, trace.setSpan(ROOT_CONTEXT, root));
  child.recordException(Object.assign(new Error('out of stock'), { stack: 'Error: out of stock\n    at reserve (inventory.ts:1:1)' }), T0 + 4);
  child.recordException('a string', T0 + 4.5);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'out of stock' });
  child.setStatus({ code: SpanStatusCode.UNSET });
  child.addLink({ context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba90200', traceFlags: 1 } });
  const client = other.startSpan('GET', { kind: SpanKind.CLIENT, startTime: [1_700_000_000, 123_456_789] }, trace.setSpan(ROOT_CONTEXT, child));
  for (let i = 1; i <= 24; i++) client.setAttribute(`many.${i}`, i); // 6 beyond the count limit: dropped and counted
  client.setAttribute('many.1', 'overwritten, not a new key');
  for (let i = 0; i < 6; i++) client.addEvent(`e${i}`, { a: 1, b: 2, c: 3 }, T0 + 10 + i); // 2 events and 1 attribute each dropped
  client.setStatus({ code: SpanStatusCode.OK });
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'ignored after OK' });
  client.end([1_700_000_000, 987_654_321]);
  client.end(); // a second end: refused
  client.setAttribute('after.end', true); // ignored
  other.startSpan('produce', { kind: SpanKind.PRODUCER, startTime: T0 }).end(T0 + 20);
  tracer.startSpan('consume', { kind: SpanKind.CONSUMER, startTime: T0, links: [1, 2, 3].map((n) => ({ context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: `${n}`.repeat(16), traceFlags: 1 }, attributes: { x: n, y: n } })) }).end(T0 + 21);
  child.end(T0 + 30);
  root.end(T0 + 40);
}

describe('our own span (the owned path) against the SDK\'s SpanImpl and OTLP exporter', () => {
  const receivers: OtlpReceiver[] = [];
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  it('sends, for the same spans, the message the SDK sends: decoded with the official schema and compared field by field', async () => {
    const [ours, sdk] = [await startOtlpReceiver(), await startOtlpReceiver()];
    receivers.push(ours, sdk);
    const resource = resourceFromAttributes({ 'service.name': 'orders', 'service.version': '1.2.3' }, { schemaUrl: 'https://opentelemetry.io/schemas/1.26.0' });

    const stats = new SpanExportStats();
    const logs = captureLogger();
    const processor = new EncodedSpanProcessor(new WorkerSpanExporter({ url: ours.url, headers: {}, compression: 'none', timeoutMillis: 5000 }), stats, new ExportFailureReporter('spans', ours.url, () => logs), () => logs, {
      maxQueueSize: 2048,
      maxQueueBytes: 2048 * 2048,
      maxExportBatchSize: 512,
      scheduledDelayMillis: 60_000,
    });
    const own: ApiTracerProvider = new ObservabilityTracerProvider({ resource, sampler: ALWAYS, idGenerator: countingIds(), limits: spanLimitsFrom(LIMITS), sink: processor });
    const theirs = new TracerProvider({ resource, sampler: ALWAYS, idGenerator: countingIds(), spanLimits: LIMITS, spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: sdk.url }), scheduledDelayMillis: 60_000 } as never)] });

    for (const provider of [own, theirs]) makeSpans(provider.getTracer('nestjs-observability', '0.1.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' }), provider.getTracer('outgoing-http'));
    await (own as ObservabilityTracerProvider).forceFlush();
    await theirs.forceFlush();
    await theirs.shutdown();
    await processor.shutdown();

    expect(ours.traceBodies).toHaveLength(1);
    expect(sdk.traceBodies).toHaveLength(1);
    const a = decodeTraceRequestMessage(ours.traceBodies[0]) as any;
    const b = decodeTraceRequestMessage(sdk.traceBodies[0]) as any;
    expect(a.resourceSpans[0].resource).toEqual(b.resourceSpans[0].resource);
    expect(a.resourceSpans[0].schemaUrl).toBe(b.resourceSpans[0].schemaUrl);
    expect(a.resourceSpans[0].scopeSpans.map((s: any) => [s.scope, s.schemaUrl])).toEqual(b.resourceSpans[0].scopeSpans.map((s: any) => [s.scope, s.schemaUrl]));
    const aSpans = a.resourceSpans[0].scopeSpans.flatMap((s: any) => s.spans);
    const bSpans = b.resourceSpans[0].scopeSpans.flatMap((s: any) => s.spans);
    expect(aSpans).toHaveLength(5);
    expect(bSpans).toHaveLength(5);
    const fields = ['traceId', 'spanId', 'traceState', 'parentSpanId', 'flags', 'name', 'kind', 'startTimeUnixNano', 'endTimeUnixNano', 'attributes', 'droppedAttributesCount', 'events', 'droppedEventsCount', 'links', 'droppedLinksCount', 'status'];
    for (let i = 0; i < bSpans.length; i++) {
      for (const field of fields) expect([bSpans[i].name, field, aSpans[i][field]]).toEqual([bSpans[i].name, field, bSpans[i][field]]);
    }
    expect(a).toEqual(b);
    // What is compared is there (the test is not vacuous).
    const byName = Object.fromEntries(aSpans.map((s: any) => [s.name, s]));
    expect(byName['GET /items/:id'].parentSpanId).toBe('b7ad6b7169203331');
    expect(byName['GET /items/:id'].flags).toBe(0x301);
    expect(byName['GET /items/:id'].events).toHaveLength(3);
    expect(byName['InventoryService.reserve'].events.map((e: any) => e.name)).toEqual(['exception', 'exception']);
    expect(byName['InventoryService.reserve'].status).toEqual({ code: 2, message: 'out of stock' });
    expect(byName.GET.droppedAttributesCount).toBe(6);
    expect(byName.GET.droppedEventsCount).toBe(2);
    expect(byName.GET.events[0].droppedAttributesCount).toBe(1);
    expect(byName.GET.status.code).toBe(1);
    expect(byName.consume.droppedLinksCount).toBe(1);
    expect(byName.consume.links[0].droppedAttributesCount).toBe(1);
    expect(stats).toMatchObject({ ended: 5, exported: 5, dropped: 0, failed: 0 });
    // The same fields in the same order make the same bytes.
    expect(ours.traceBodies[0].equals(sdk.traceBodies[0])).toBe(true);
  });
});
