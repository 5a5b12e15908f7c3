'use strict';
/**
 * Per-request cost of the tracing part in the adapter hook, without sockets: the module's own
 * `HttpAdapterHook` observer runs for a fake request (what the hook reads of an `IncomingMessage`)
 * and a fake response whose `close` the loop fires at once, with one listener:
 *
 * - a no-op listener (the hook's own cost: the baseline);
 * - `HttpTracingListener` on the fast path, request not sampled (`sampleRatio: 0`);
 * - the same, with the ids made once inside the request (what an outgoing call or a log line asks);
 * - the same, with the span context's flags read (what exemplars ask of every request: no ids);
 * - `HttpTracingListener` on the SDK path (the fast path off), request not sampled: the cost before
 *   the fast path (`Tracer.startSpan()` of a non-recording span and its ids);
 * - the fast path with an incoming unsampled `traceparent` (extracted by the W3C propagator);
 * - a reference listener that only enters a context: what any per-request context costs in Node.
 *
 * The SDK is `startObservabilitySdk({ sampleRatio: 0, exporter: 'none' })`, as in production.
 * Prints one JSON object (run.js collects it). Alone: `node bench/request-tracing.js [--quick]`.
 */
require('reflect-metadata');
const { context, trace } = require('@opentelemetry/api');
const { startObservabilitySdk } = require('../dist');
const { HttpAdapterHook } = require('../dist/instrumentation/http-adapter.hook');
const { HttpTracingListener } = require('../dist/tracing/http-tracing.listener');
const { median, mad, rotate } = require('./lib/stats');

const quick = process.argv.includes('--quick');
const ITERATIONS = quick ? 200_000 : 1_000_000;
const ROUNDS = quick ? 3 : 9;
const WARMUP_ROUNDS = 2;

const sdk = startObservabilitySdk({ sampleRatio: 0, exporter: 'none' });
const tracer = trace.getTracerProvider().getTracer('nestjs-observability');

const noop = { onRequest() {}, onResponse() {} };
// Only enters a context for the rest of the request, as any tracing must: one context.with(), i.e. one
// AsyncLocalStorage.run() of the SDK's context manager. Node's floor for a per-request context.
const FLOOR_CONTEXT = trace.setSpan(context.active(), trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0 }));
const contextOnly = {
  onRequest(exchange) {
    exchange.run = (next) => context.with(FLOOR_CONTEXT, next);
  },
  onResponse() {},
};
const fastListener = new HttpTracingListener(tracer, { excludePaths: ['/metrics', '/health', '/health/*'], trustIncomingSampling: true, fastPath: true });
const sdkListener = new HttpTracingListener(tracer, { excludePaths: ['/metrics', '/health', '/health/*'], trustIncomingSampling: true, fastPath: false });

function observer(listener) {
  const hook = new HttpAdapterHook([listener], undefined);
  return hook.createObserver(false);
}

const HEADERS = { host: 'localhost:3000', 'user-agent': 'wrk/4.1.0', accept: '*/*' };
const PARENT_HEADERS = { ...HEADERS, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' };
const SOCKET = { remoteAddress: '127.0.0.1', encrypted: false };

let sink = 0;
const plainNext = () => {
  sink++;
};
const idsNext = () => {
  // What an outgoing call's propagation or a log line does: ask the active span for its ids.
  sink += trace.getSpan(context.active()).spanContext().traceId.length;
};

const flagsNext = () => {
  // What exemplars (the HTTP duration histogram, @Timed()) ask of every request's span: its flags.
  sink += trace.getSpan(context.active()).spanContext().traceFlags;
};

function makeLoop(label) {
  return new Function(
    'observe',
    'headers',
    'socket',
    'next',
    'n',
    `// ${label}
     for (let i = 0; i < n; i++) {
       let close;
       const request = { url: '/hello?x=1', method: 'GET', headers, httpVersion: '1.1', socket };
       const response = { statusCode: 200, writableFinished: true, once(event, fn) { close = fn; } };
       observe(request, response, next);
       close();
     }`,
  );
}

const variants = [
  { id: 'hook', label: 'adapter hook with a no-op listener (baseline)', observe: observer(noop), headers: HEADERS, next: plainNext },
  { id: 'floor', label: 'reference: a listener that only enters a context (one context.with = AsyncLocalStorage.run)', observe: observer(contextOnly), headers: HEADERS, next: plainNext, baseline: 'hook' },
  { id: 'fast.unsampled', label: 'tracing, fast path, not sampled, no ids asked for', observe: observer(fastListener), headers: HEADERS, next: plainNext, baseline: 'hook' },
  { id: 'fast.unsampled.ids', label: 'tracing, fast path, not sampled, ids made once (outgoing call or log line)', observe: observer(fastListener), headers: HEADERS, next: idsNext, baseline: 'hook' },
  { id: 'fast.unsampled.flags', label: 'tracing, fast path, not sampled, flags read (what exemplars ask)', observe: observer(fastListener), headers: HEADERS, next: flagsNext, baseline: 'hook' },
  { id: 'fast.unsampledParent', label: 'tracing, fast path, incoming traceparent flags 00', observe: observer(fastListener), headers: PARENT_HEADERS, next: plainNext, baseline: 'hook' },
  { id: 'sdk.unsampled', label: 'tracing, SDK path (before the fast path), not sampled', observe: observer(sdkListener), headers: HEADERS, next: plainNext, baseline: 'hook' },
];
for (const v of variants) {
  v.loop = makeLoop(v.id);
  v.samples = [];
}

function timeOnce(v) {
  const start = process.hrtime.bigint();
  v.loop(v.observe, v.headers, SOCKET, v.next, ITERATIONS);
  return Number(process.hrtime.bigint() - start) / ITERATIONS;
}

async function main() {
  for (let r = 0; r < WARMUP_ROUNDS; r++) for (const v of variants) timeOnce(v);
  for (let r = 0; r < ROUNDS; r++) {
    let order = rotate(variants, r);
    if (r % 2) order = order.reverse();
    for (const v of order) {
      v.samples.push(timeOnce(v));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const byId = Object.fromEntries(variants.map((v) => [v.id, v]));
  const rows = variants.map((v) => {
    const row = { id: v.id, label: v.label, iterations: ITERATIONS, rounds: ROUNDS, nsPerRequest: median(v.samples), madNs: mad(v.samples), samples: v.samples };
    if (v.baseline) row.overheadNs = median(v.samples.map((s, i) => s - byId[v.baseline].samples[i]));
    // What the fast path costs beyond the context that any request tracing has to enter.
    if (v.id.startsWith('fast.')) row.beyondFloorNs = median(v.samples.map((s, i) => s - byId.floor.samples[i]));
    return row;
  });
  if (sdk.stats.ended !== 0) throw new Error(`expected no sampled span, the SDK ended ${sdk.stats.ended}`);
  await sdk.shutdown();
  process.stdout.write(JSON.stringify({ rows, sink }) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
