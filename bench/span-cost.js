'use strict';
/**
 * Where a sampled span's main-thread time goes on the encoded path (issue 18 §3): the module's HTTP
 * server span (12 attributes, renamed once, ended), made in a loop, in three settings:
 *
 * - `sdk.span`: the SDK's span alone (a TracerProvider with no span processor): `startSpan`, the
 *   attribute validation of `setAttributes`, `updateName`, `end`;
 * - `encoded`: the same under `startObservabilitySdk()` (the encoded path): the span, plus its
 *   encoding to OTLP bytes when it ends, plus the hand-off of full batches to the export thread;
 * - `attributes`: `setAttributes` of the 12 attributes on a span that exists (the validation only).
 *
 * `--profile` adds a CPU profile of the `encoded` loop and prints the self time by function.
 * Time is the main thread's CPU time (process.threadCpuUsage). Alone: `node bench/span-cost.js [--quick]`.
 */
const { SpanKind, trace } = require('@opentelemetry/api');
const { TracerProvider } = require('@opentelemetry/sdk-trace');
const { median, mad, roundOrder } = require('./lib/stats');
const { startObservabilitySdk } = require('../dist');
const { SERVER_SPAN_ATTRIBUTES } = require('./lib/server-span');

const quick = process.argv.includes('--quick');
const SPANS = quick ? 20_000 : 100_000;
const ROUNDS = quick ? 3 : 7;

const ATTRIBUTES = SERVER_SPAN_ATTRIBUTES;

// Nothing listens on port 9: the export thread's posts fail and are counted; the main thread's work is the same.
process.env.OTEL_EXPORTER_OTLP_ENDPOINT = 'http://127.0.0.1:9';
const sdk = startObservabilitySdk({ sampleRatio: 1, serviceName: 'bench', metrics: false, logger: { log() {}, warn() {} } });
const encodedTracer = trace.getTracer('nestjs-observability');
const bareTracer = new TracerProvider({ spanProcessors: [] }).getTracer('nestjs-observability');
const held = bareTracer.startSpan('held');

function makeSpans(tracer) {
  for (let i = 0; i < SPANS; i++) {
    const span = tracer.startSpan('GET', { kind: SpanKind.SERVER });
    span.setAttributes(ATTRIBUTES);
    span.updateName('GET /hello');
    span.end();
  }
}

const variants = [
  { id: 'sdk.span', label: "the SDK's span alone: startSpan + setAttributes(12) + updateName + end, no processor", run: () => makeSpans(bareTracer) },
  { id: 'encoded', label: 'the same on the encoded path (startObservabilitySdk()): + encoding at end + batch hand-off', run: () => makeSpans(encodedTracer) },
  {
    id: 'attributes',
    label: 'setAttributes(12) alone, on a span that exists (attribute validation)',
    run: () => {
      for (let i = 0; i < SPANS; i++) held.setAttributes(ATTRIBUTES);
    },
  },
];

function cpuNsPerSpan(v) {
  const start = process.threadCpuUsage();
  v.run();
  const used = process.threadCpuUsage(start);
  return ((used.user + used.system) * 1000) / SPANS;
}

async function main() {
  for (const v of variants) {
    v.samples = [];
    cpuNsPerSpan(v); // warm-up
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of roundOrder(variants, r)) {
      v.samples.push(cpuNsPerSpan(v));
      await new Promise((resolve) => setImmediate(resolve)); // let the batches go
    }
  }
  const rows = variants.map((v) => ({ id: v.id, label: v.label, nsPerSpan: median(v.samples), madNs: mad(v.samples) }));
  if (process.argv.includes('--profile')) {
    const { Session } = require('node:inspector/promises');
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    for (let r = 0; r < 3; r++) variants[1].run();
    const { profile } = await session.post('Profiler.stop');
    const self = new Map();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const frame = byId.get(id).callFrame;
      const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')}:${frame.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
    });
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    rows.profile = [...self].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([where, us]) => ({ where, share: us / total }));
  }
  await sdk.shutdown();
  process.stdout.write(JSON.stringify({ rows, profile: rows.profile, spans: SPANS, rounds: ROUNDS }, null, 1) + '\n');
}

main();
