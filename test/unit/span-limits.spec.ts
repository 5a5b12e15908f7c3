import { diag, DiagLogLevel, ROOT_CONTEXT, SamplingDecision, type DiagLogger } from '@opentelemetry/api';
import { ObservabilitySpan } from '../../lib/tracing/span/observability.span';
import { ObservabilityTracerProvider } from '../../lib/tracing/span/observability-tracer.provider';
import { readSpanLimitsFromEnv, spanLimitsFrom } from '../../lib/tracing/span/span-limits';

const ids = { generateTraceId: () => '0af7651916cd43dd8448eb211c80319c', generateSpanId: () => 'b7ad6b7169203331' };
const sampler = { shouldSample: () => ({ decision: SamplingDecision.RECORD_AND_SAMPLED }) };

function make(limits: Parameters<typeof spanLimitsFrom>[0]) {
  const ended: ObservabilitySpan[] = [];
  const snapshots: Array<{ attributes: unknown[]; dropped: number; events: number; droppedEvents: number; links: number; droppedLinks: number }> = [];
  const sink = {
    onEndOwn: (span: ObservabilitySpan) => {
      ended.push(span);
      snapshots.push({ attributes: [...span.attributes!.items], dropped: span.attributes!.dropped, events: span.events?.length ?? 0, droppedEvents: span.droppedEvents, links: span.links?.length ?? 0, droppedLinks: span.droppedLinks });
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  const tracer = new ObservabilityTracerProvider({ resource: {}, sampler, idGenerator: ids, limits: spanLimitsFrom(limits), sink }).getTracer('t');
  return { tracer, ended, snapshots };
}

describe('span limits of our own span', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    diag.disable();
  });

  it('reads OTEL_SPAN_* limits, with the OTEL_ATTRIBUTE_* and legacy fallbacks, and the SDK defaults', () => {
    expect(spanLimitsFrom({})).toEqual({ attributeCountLimit: 128, attributeValueLengthLimit: Infinity, eventCountLimit: 128, linkCountLimit: 128, attributePerEventCountLimit: 128, attributePerLinkCountLimit: 128 });
    process.env.OTEL_ATTRIBUTE_COUNT_LIMIT = '5';
    process.env.OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT = '7';
    process.env.OTEL_SPAN_EVENT_COUNT_LIMIT = '3';
    process.env.OTEL_SPAN_LINK_COUNT_LIMIT = '2';
    process.env.OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT = '4';
    process.env.OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT = '1';
    expect(spanLimitsFrom(readSpanLimitsFromEnv())).toEqual({ attributeCountLimit: 5, attributeValueLengthLimit: 7, eventCountLimit: 3, linkCountLimit: 2, attributePerEventCountLimit: 4, attributePerLinkCountLimit: 1 });
    process.env.OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT = '9';
    process.env.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT = '11';
    process.env.OTEL_LINK_ATTRIBUTE_COUNT_LIMIT = '6';
    expect(spanLimitsFrom(readSpanLimitsFromEnv())).toMatchObject({ attributeCountLimit: 9, attributeValueLengthLimit: 11, attributePerLinkCountLimit: 6 });
    process.env.OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT = '0';
    expect(spanLimitsFrom(readSpanLimitsFromEnv()).attributeValueLengthLimit).toBe(Infinity);
  });

  it('drops attributes beyond the count (counted), cuts values to the length limit, overwrites existing keys', () => {
    const { tracer, snapshots } = make({ attributeCountLimit: 3, attributeValueLengthLimit: 4 });
    const span = tracer.startSpan('s', { attributes: { a: 'abcdefgh', b: ['123456', 7], c: { d: 'xxxxxx' } as never, e: 1, f: undefined } });
    span.setAttribute('a', 'short');
    span.setAttribute('g', 2);
    span.setAttribute('h', undefined as never);
    span.end();
    expect(snapshots[0].attributes).toEqual(['a', 'shor', 'b', ['1234', 7], 'c', { d: 'xxxx' }]);
    expect(snapshots[0].dropped).toBe(2); // e at start, g later; f and h undefined: not counted
  });

  it('takes the pairs the module made as setAttribute() of each would: as is within the limits, else cut, dropped and counted, and over earlier keys', () => {
    const pairs = ['url.path', '/orders/12345', 'http.response.status_code', 200, 'http.route', '/orders/:id'];
    const free = make({});
    const span = free.tracer.startSpan('s') as ObservabilitySpan;
    const given = [...pairs];
    span.setAttributePairs(given);
    expect(span.attributes!.items).toBe(given); // taken, not copied
    span.end();
    expect(free.snapshots[0]).toMatchObject({ attributes: pairs, dropped: 0 });

    const bounded = make({ attributeCountLimit: 2, attributeValueLengthLimit: 4 });
    const cut = bounded.tracer.startSpan('s') as ObservabilitySpan;
    cut.setAttributePairs([...pairs]);
    cut.end();
    expect(bounded.snapshots[0]).toMatchObject({ attributes: ['url.path', '/ord', 'http.response.status_code', 200], dropped: 1 });

    const earlier = make({});
    const set = earlier.tracer.startSpan('s') as ObservabilitySpan;
    set.setAttribute('http.route', '/mine');
    set.setAttribute('app.tenant', 'acme');
    set.setAttributePairs([...pairs]);
    set.end();
    expect(earlier.snapshots[0].attributes).toEqual(['http.route', '/orders/:id', 'app.tenant', 'acme', 'url.path', '/orders/12345', 'http.response.status_code', 200]);

    const after = make({});
    const ended = after.tracer.startSpan('s') as ObservabilitySpan;
    ended.end();
    ended.setAttributePairs([...pairs]);
    expect(after.snapshots[0].attributes).toEqual([]);
  });

  it('keeps the last events and links within their limits, counts the dropped ones and their attributes', () => {
    const { tracer, snapshots } = make({ eventCountLimit: 2, linkCountLimit: 1, attributePerEventCountLimit: 1, attributePerLinkCountLimit: 1 });
    const link = (n: number) => ({ context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: `${n}`.repeat(16), traceFlags: 1 }, attributes: { x: 1, y: 2 } });
    const span = tracer.startSpan('s', { links: [link(1), link(2)] }) as ObservabilitySpan;
    span.addLinks([link(3)]);
    for (let i = 0; i < 5; i++) span.addEvent(`e${i}`, { a: 1, b: 2 });
    expect(span.events!.map((e) => e.name)).toEqual(['e3', 'e4']);
    expect(span.events![0].attributes.dropped).toBe(1);
    expect(span.links!.map((l) => l.context.spanId)).toEqual(['3333333333333333']);
    expect(span.links![0].attributes.dropped).toBe(1);
    span.end();
    expect(snapshots[0]).toMatchObject({ events: 2, droppedEvents: 3, links: 1, droppedLinks: 2 });
  });

  it('limits of 0 allow no events or links, and count them', () => {
    const { tracer, snapshots } = make({ eventCountLimit: 0, linkCountLimit: 0 });
    const span = tracer.startSpan('s');
    span.addEvent('e');
    span.addLink({ context: { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '1111111111111111', traceFlags: 1 } });
    span.end();
    expect(snapshots[0]).toMatchObject({ events: 0, droppedEvents: 1, links: 0, droppedLinks: 1 });
  });

  it('warns once on a second end(), ignores changes after the end, and lets its data go', () => {
    const errors: string[] = [];
    const warnings: string[] = [];
    const logger: DiagLogger = { error: (m) => errors.push(m), warn: (m) => warnings.push(m), info: () => undefined, debug: () => undefined, verbose: () => undefined };
    diag.setLogger(logger, DiagLogLevel.WARN);
    const { tracer, ended } = make({});
    const span = tracer.startSpan('s', {}, ROOT_CONTEXT) as ObservabilitySpan;
    expect(span.isRecording()).toBe(true);
    span.end();
    span.end();
    span.setAttribute('late', 1).updateName('late').setStatus({ code: 2 });
    expect(ended).toHaveLength(1);
    expect(span.isRecording()).toBe(false);
    expect(span.name).toBe('s');
    expect(span.statusCode).toBe(0);
    expect(span.attributes).toBeNull();
    expect(errors).toEqual([expect.stringContaining('You can only call end() on a span once.')]);
    expect(warnings).toHaveLength(3);
  });

  it('refuses values that are not OTLP AnyValues, with a warning, without counting them (as setAttribute in the SDK)', () => {
    const { tracer, snapshots } = make({});
    const span = tracer.startSpan('s');
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    span.setAttribute('fn', (() => 1) as never);
    span.setAttribute('date', new Date() as never);
    span.setAttribute('circular', circular as never);
    span.setAttribute('', 'x');
    span.setAttribute('ok', null as never);
    span.end();
    expect(snapshots[0].attributes).toEqual(['ok', null]);
    expect(snapshots[0].dropped).toBe(0);
  });
});
