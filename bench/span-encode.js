'use strict';
/**
 * Encode cost per span, and what handing spans to a worker thread would cost the event loop.
 *
 * Spans: the module's HTTP server span as a sampled request leaves it (name `GET /hello`, kind SERVER,
 * the attributes `HttpTracingListener` sets: method, url.path, url.scheme, network.protocol.version,
 * server.address, server.port, user_agent.original, client.address, status code, route, nest.controller,
 * nest.handler), made by the SDK and collected by an in-memory exporter. Rows, per span, in batches of
 * 512 (the batch processor's default):
 *
 * - OTLP protobuf (`ProtobufTraceSerializer.serializeRequest`, what `startObservabilitySdk()` exports);
 * - OTLP JSON, for comparison;
 * - the worker-thread hand-off: projecting each `ReadableSpan` to a plain object plus `v8.serialize`
 *   of the batch, the sender's share of `postMessage()` (the event loop still pays it; the worker would
 *   take the protobuf encoding and the socket writes).
 *
 * Prints one JSON object (run.js collects it). Alone: `node bench/span-encode.js [--quick]`.
 */
const v8 = require('node:v8');
const { trace, context, SpanKind } = require('@opentelemetry/api');
const { TracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace');
const { ProtobufTraceSerializer, JsonTraceSerializer } = require('@opentelemetry/otlp-transformer');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { median, mad, roundOrder } = require('./lib/stats');
const { SERVER_SPAN_ATTRIBUTES } = require('./lib/server-span');
// The encoded path's per-span encoder (startObservabilitySdk()'s default since issue 18), from dist/.
const { OtlpSpanEncoder } = require('../dist/tracing/sdk/otlp-span.encoder');
const { ProtobufWriter } = require('../dist/tracing/sdk/protobuf.writer');
const encoder = new OtlpSpanEncoder();
const writer = new ProtobufWriter(BATCH_BYTES());
function BATCH_BYTES() {
  return 512 * 512;
}

const quick = process.argv.includes('--quick');
const SPANS = quick ? 5_120 : 20_480;
const BATCH = 512;
const ROUNDS = quick ? 3 : 9;

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'hello', 'service.version': '1.0.0' }),
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
const tracer = provider.getTracer('nestjs-observability');
for (let i = 0; i < SPANS; i++) {
  const span = tracer.startSpan('GET', { kind: SpanKind.SERVER });
  span.setAttributes(SERVER_SPAN_ATTRIBUTES);
  span.updateName('GET /hello');
  span.end();
}
const spans = exporter.getFinishedSpans();
const batches = [];
for (let i = 0; i < spans.length; i += BATCH) batches.push(spans.slice(i, i + BATCH));

/** What a worker needs of a span: plain data, clonable. */
function plain(span) {
  const c = span.spanContext();
  return {
    traceId: c.traceId,
    spanId: c.spanId,
    traceFlags: c.traceFlags,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: span.kind,
    startTime: span.startTime,
    endTime: span.endTime,
    attributes: span.attributes,
    status: span.status,
    events: span.events,
    links: span.links,
    droppedAttributesCount: span.droppedAttributesCount,
    scope: span.instrumentationScope.name,
  };
}

let sink = 0;
const variants = [
  { id: 'otlp.proto', label: 'OTLP protobuf (ProtobufTraceSerializer), the exporter\'s encoding', run: (b) => ProtobufTraceSerializer.serializeRequest(b).length },
  {
    id: 'encoded.span',
    label: 'the encoded path: each span to its OTLP `Span` bytes as it ends (OtlpSpanEncoder, into the batch buffer)',
    run: (b) => {
      writer.pos = 0;
      for (const span of b) encoder.span(writer, span);
      return writer.pos;
    },
  },
  { id: 'otlp.json', label: 'OTLP JSON (JsonTraceSerializer)', run: (b) => JsonTraceSerializer.serializeRequest(b).length },
  { id: 'worker.handoff', label: 'worker hand-off: plain projection + v8.serialize (postMessage, sender side)', run: (b) => v8.serialize(b.map(plain)).length },
];
for (const v of variants) v.samples = [];

function timeOnce(v) {
  const start = process.hrtime.bigint();
  for (const b of batches) sink += v.run(b);
  return Number(process.hrtime.bigint() - start) / 1000 / spans.length;
}

for (const v of variants) timeOnce(v);
for (let r = 0; r < ROUNDS; r++) for (const v of roundOrder(variants, r)) v.samples.push(timeOnce(v));
const bytes = ProtobufTraceSerializer.serializeRequest(batches[0]).length / batches[0].length;
const rows = variants.map((v) => ({ id: v.id, label: v.label, usPerSpan: median(v.samples), madUs: mad(v.samples), samples: v.samples }));
process.stdout.write(JSON.stringify({ rows, spans: spans.length, rounds: ROUNDS, protobufBytesPerSpan: bytes, sink, unused: [trace, context].length }) + '\n');
