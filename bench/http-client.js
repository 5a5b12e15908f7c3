'use strict';
/**
 * Cost of the outgoing HTTP part (`httpClient`) on a `fetch()` to a local server: the time of one
 * call (sequential, keep-alive, a 2-byte answer from a plain `node:http` server in a process of its
 * own) without the module, and with the module's `HttpClientSubscriber` subscribed to the diagnostics
 * channels:
 *
 * - bare: no subscriber (no span, no metric, no traceparent);
 * - traceparent only: `OutgoingPropagationSubscriber`, what the module did before `httpClient` (and
 *   still does with `httpClient: false`): the share of the cost that is undici adding a header;
 * - metrics + unsampled: the histogram, and `traceparent` with flags 00 under an unsampled parent (what
 *   an unsampled request's call costs: no span);
 * - metrics + sampled: the histogram, a CLIENT span under a sampled parent, on the default path a user
 *   gets from `startObservabilitySdk({ sampleRatio: 1 })`: the module's own span, encoded to OTLP at its
 *   end and exported from the worker thread to bench/http-sink.js (which counts what it receives).
 *   `BENCH_SPAN_PATH=sdk` takes the SDK's span instead (`spanExport: 'sdk'`).
 *
 * Variants alternate within each round (rotated order), and the ratios are medians of per-round
 * ratios, so a slow spell of the shared machine moves all of them. Targets: ≤ 1.05× unsampled,
 * ≤ 1.15× sampled. Run: `npm run bench:http-client` (or `-- --quick`), best with
 * `bash bench/lib/priority.sh npm run bench:http-client`.
 */
require('reflect-metadata');
const { fork } = require('node:child_process');
const diagnosticsChannel = require('node:diagnostics_channel');
const { context, trace } = require('@opentelemetry/api');
const { startObservabilitySdk } = require('../dist');
const { HttpClientSubscriber } = require('../dist/http-client/http-client.subscriber');
const { resolveHttpClientOptions } = require('../dist/http-client/http-client-options.resolver');
const { LeanHistogram } = require('../dist/metrics/lean-histogram.metric');
const { OutgoingPropagationSubscriber } = require('../dist/tracing/outgoing-propagation.subscriber');
const { median, mad, roundOrder, medianRatio } = require('./lib/stats');

const quick = process.argv.includes('--quick');
// Short batches, many rounds: the three variants of a round run within a few hundred ms of each other.
const CALLS = quick ? 50 : 100;
const ROUNDS = quick ? 11 : 121;
const WARMUP_ROUNDS = 2;

let sdk = null;
let tracer = null;

/** The OTLP sink (a process of its own), then the SDK exporting to it, as a user's app would. */
async function startSdk() {
  const sink = fork(require.resolve('./http-sink.js'), [], { stdio: 'inherit' });
  const { port } = await new Promise((resolve) => sink.once('message', resolve));
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
  const spanExport = process.env.BENCH_SPAN_PATH === 'sdk' ? { spanExport: 'sdk' } : {};
  sdk = startObservabilitySdk({ sampleRatio: 1, metrics: false, ...spanExport });
  tracer = trace.getTracerProvider().getTracer('nestjs-observability');
  return sink;
}

function sinkStats(sink) {
  return new Promise((resolve) => {
    sink.once('message', (message) => resolve(message.stats));
    sink.send('stats');
  });
}

function startServer() {
  const child = fork(require.resolve('./http-client-server.js'), [], { stdio: 'inherit' });
  return new Promise((resolve) => child.once('message', (port) => resolve({ child, url: `http://127.0.0.1:${port}/prices/book?currency=EUR` })));
}

const OPTIONS = resolveHttpClientOptions({ urlTemplates: ['/prices/{item}'] });
// One histogram per variant for the whole run, as an app has one: its children stay bound across batches.
const HISTOGRAMS = Object.fromEntries(
  ['unsampled', 'sampled'].map((v) => [v, new LeanHistogram('http_client_request_duration_seconds', 'bench', ['http_request_method', 'server_address', 'server_port', 'http_response_status_code', 'error_type', 'url_template'], OPTIONS.buckets)]),
);

function subscriber(variant) {
  return new HttpClientSubscriber({ options: OPTIONS, tracer, histogram: HISTOGRAMS[variant], propagate: true, exemplars: true, ownPort: () => false });
}

/** The floor of any diagnostics_channel client instrumentation: the module's channels, with listeners that do nothing. */
const NOOP_CHANNELS = ['undici:request:create', 'undici:request:headers', 'undici:request:error', 'http.client.request.created', 'http.client.response.finish', 'http.client.request.error'];
function noop() {}
function noopSubscriber() {
  for (const name of NOOP_CHANNELS) diagnosticsChannel.subscribe(name, noop);
  return { onApplicationShutdown: () => NOOP_CHANNELS.forEach((name) => diagnosticsChannel.unsubscribe(name, noop)) };
}

const UNSAMPLED = trace.setSpan(context.active(), trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0 }));

async function calls(url, n) {
  for (let i = 0; i < n; i++) {
    const response = await fetch(url);
    await response.arrayBuffer();
  }
}

/** Mean ms per call of one batch of `CALLS` in `parent`, with or without the subscriber. */
async function batch(url, variant) {
  let sub = null;
  let parent = UNSAMPLED;
  let span = null;
  if (variant === 'propagation') {
    const propagation = new OutgoingPropagationSubscriber();
    propagation.subscribe();
    sub = { onApplicationShutdown: () => propagation.unsubscribe() };
  } else if (variant === 'channels') sub = noopSubscriber();
  else if (variant !== 'bare') sub = subscriber(variant);
  if (variant === 'sampled') {
    span = tracer.startSpan('GET /quotes/:item');
    parent = trace.setSpan(context.active(), span);
  }
  const cpu = process.cpuUsage();
  const start = performance.now();
  await context.with(parent, () => calls(url, CALLS));
  const ms = (performance.now() - start) / CALLS;
  const used = process.cpuUsage(cpu);
  span?.end();
  sub?.onApplicationShutdown();
  return { ms, cpuMs: (used.user + used.system) / 1000 / CALLS };
}

async function main() {
  const sink = await startSdk();
  const { child, url } = await startServer();
  const variants = process.env.BENCH_VARIANTS ? process.env.BENCH_VARIANTS.split(',') : ['bare', 'channels', 'propagation', 'unsampled', 'sampled'];
  const samples = Object.fromEntries(variants.map((v) => [v, []]));
  const cpu = Object.fromEntries(variants.map((v) => [v, []]));
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    for (const variant of roundOrder(variants, round)) {
      const { ms, cpuMs } = await batch(url, variant);
      if (round >= WARMUP_ROUNDS) {
        samples[variant].push(ms);
        cpu[variant].push(cpuMs);
      }
    }
  }
  child.disconnect();
  child.kill();
  await sdk.shutdown();
  const received = await sinkStats(sink);
  sink.send('exit');
  const us = (v) => median(samples[v]) * 1000;
  const row = (name, v, target) => samples[v] && samples.bare && [
    name,
    us(v),
    mad(samples[v]) * 1000,
    v === 'bare' ? 1 : medianRatio(samples[v], samples.bare),
    median(cpu[v]) * 1000,
    v === 'bare' ? 1 : medianRatio(cpu[v], cpu.bare),
    target,
  ];
  const rows = [
    row('bare fetch() (no module)', 'bare', ''),
    row('the same channels, no-op listeners (the floor of the approach)', 'channels', ''),
    row('traceparent 00 only (the module before httpClient)', 'propagation', ''),
    row('module: metrics + unsampled (traceparent 00)', 'unsampled', '≤ 1.05×'),
    row('module: metrics + sampled CLIENT span', 'sampled', '≤ 1.15×'),
  ];
  console.log(`\nOutgoing fetch() to a local server, ${CALLS} sequential keep-alive calls per batch, ${ROUNDS} rounds (Node ${process.versions.node})`);
  console.log(`Sampled spans: ${sdk.exportPath}; ended ${sdk.stats.ended}, exported ${sdk.stats.exported}, dropped ${sdk.stats.dropped}, received by the sink ${received.spans}\n`);
  console.log('| variant | µs per call (median) | ± MAD | × bare | caller CPU µs per call | × bare CPU | target (× bare) |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const [name, value, noise, ratio, cpuUs, cpuRatio, target] of rows.filter(Boolean)) {
    console.log(`| ${name} | ${value.toFixed(1)} | ${noise.toFixed(1)} | ${ratio.toFixed(3)} | ${cpuUs.toFixed(1)} | ${cpuRatio.toFixed(3)} | ${target} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
