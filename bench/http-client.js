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
 * - metrics + sampled: the histogram, a CLIENT span under a sampled parent (SDK `sampleRatio: 1`,
 *   exporter `none`: span creation, attributes and end; the export itself is batched off the call).
 *
 * Variants alternate within each round (rotated order), and the ratios are medians of per-round
 * ratios, so a slow spell of the shared machine moves all of them. Targets: ≤ 1.05× unsampled,
 * ≤ 1.15× sampled. Run: `npm run bench:http-client` (or `-- --quick`), best with
 * `bash bench/lib/priority.sh npm run bench:http-client`.
 */
require('reflect-metadata');
const { fork } = require('node:child_process');
const { context, trace } = require('@opentelemetry/api');
const { startObservabilitySdk } = require('../dist');
const { HttpClientSubscriber } = require('../dist/http-client/http-client.subscriber');
const { resolveHttpClientOptions } = require('../dist/http-client/http-client-options.resolver');
const { LeanHistogram } = require('../dist/metrics/lean-histogram.metric');
const { OutgoingPropagationSubscriber } = require('../dist/tracing/outgoing-propagation.subscriber');
const { median, mad, roundOrder, medianRatio } = require('./lib/stats');

const quick = process.argv.includes('--quick');
// Short batches, many rounds: the three variants of a round run within a few hundred ms of each other.
const CALLS = quick ? 100 : 200;
const ROUNDS = quick ? 11 : 41;
const WARMUP_ROUNDS = 2;

startObservabilitySdk({ sampleRatio: 1, exporter: 'none', metrics: false });
const tracer = trace.getTracerProvider().getTracer('nestjs-observability');

function startServer() {
  const child = fork(require.resolve('./http-client-server.js'), [], { stdio: 'inherit' });
  return new Promise((resolve) => child.once('message', (port) => resolve({ child, url: `http://127.0.0.1:${port}/prices/book?currency=EUR` })));
}

function subscriber() {
  const options = resolveHttpClientOptions({ urlTemplates: ['/prices/{item}'] });
  const histogram = new LeanHistogram('http_client_request_duration_seconds', 'bench', ['http_request_method', 'server_address', 'server_port', 'http_response_status_code', 'error_type', 'url_template'], options.buckets);
  return new HttpClientSubscriber({ options, tracer, histogram, propagate: true, exemplars: true, ownPort: () => false });
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
  } else if (variant !== 'bare') sub = subscriber();
  if (variant === 'sampled') {
    span = tracer.startSpan('GET /quotes/:item');
    parent = trace.setSpan(context.active(), span);
  }
  const start = performance.now();
  await context.with(parent, () => calls(url, CALLS));
  const ms = (performance.now() - start) / CALLS;
  span?.end();
  sub?.onApplicationShutdown();
  return ms;
}

async function main() {
  const { child, url } = await startServer();
  const variants = ['bare', 'propagation', 'unsampled', 'sampled'];
  const samples = Object.fromEntries(variants.map((v) => [v, []]));
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    for (const variant of roundOrder(variants, round)) {
      const ms = await batch(url, variant);
      if (round >= WARMUP_ROUNDS) samples[variant].push(ms);
    }
  }
  child.disconnect();
  child.kill();
  const us = (v) => median(samples[v]) * 1000;
  const rows = [
    ['bare fetch() (no module)', us('bare'), mad(samples.bare) * 1000, 1, ''],
    ['traceparent 00 only (the module before httpClient)', us('propagation'), mad(samples.propagation) * 1000, medianRatio(samples.propagation, samples.bare), ''],
    ['module: metrics + unsampled (traceparent 00)', us('unsampled'), mad(samples.unsampled) * 1000, medianRatio(samples.unsampled, samples.bare), '≤ 1.05×'],
    ['module: metrics + sampled CLIENT span', us('sampled'), mad(samples.sampled) * 1000, medianRatio(samples.sampled, samples.bare), '≤ 1.15×'],
  ];
  console.log(`\nOutgoing fetch() to a local server, ${CALLS} sequential keep-alive calls per batch, ${ROUNDS} rounds (Node ${process.versions.node})\n`);
  console.log('| variant | µs per call (median) | ± MAD | × bare | target |');
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const [name, value, noise, ratio, target] of rows) {
    console.log(`| ${name} | ${value.toFixed(1)} | ${noise.toFixed(1)} | ${ratio.toFixed(3)} | ${target} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
