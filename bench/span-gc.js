'use strict';
/**
 * Scavenges for 300,000 sampled server spans (12 attributes, renamed, ended): `own`, the owned path
 * (`startObservabilitySdk()`: the module's own span, encoded to OTLP at its end, batches handed to the
 * export thread), or `sdk`, the SDK's span alone (a TracerProvider with no span processor: no encoding
 * at all, so it is the lower bound of any path built on the SDK's span). Repeatable: count the lines.
 * `node --trace-gc bench/span-gc.js own|sdk | grep -c Scavenge`
 */
const { SpanKind, trace } = require('@opentelemetry/api');
const { TracerProvider } = require('@opentelemetry/sdk-trace');
const { startObservabilitySdk } = require('../dist');
const { SERVER_SPAN_ATTRIBUTES } = require('./lib/server-span');

process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:9';
const which = process.argv[2] ?? 'own';
const sdk = startObservabilitySdk({ sampleRatio: 1, serviceName: 'bench', metrics: false, logger: { log() {}, warn() {} } });
const own = trace.getTracer('nestjs-observability');
const sdkTracer = new TracerProvider({ spanProcessors: [] }).getTracer('nestjs-observability');
const tracer = which === 'own' ? own : sdkTracer;
const N = 100_000;
for (let r = 0; r < 3; r++) {
  for (let i = 0; i < N; i++) {
    const span = tracer.startSpan('GET', { kind: SpanKind.SERVER });
    span.setAttributes(SERVER_SPAN_ATTRIBUTES);
    span.updateName('GET /hello');
    span.end();
  }
}
sdk.shutdown();
