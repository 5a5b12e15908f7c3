'use strict';
/**
 * The variants of the outgoing-call bench (bench/http-client.js, bench/http-client-callgrind.js): the
 * local server and OTLP sink they call, the SDK as a user's app starts it, and one batch of sequential
 * `fetch()` calls with or without the module's `HttpClientSubscriber`:
 *
 * - `bare`: no subscriber (no span, no metric, no traceparent);
 * - `channels`: the module's diagnostics channels with listeners that do nothing (the approach's floor);
 * - `propagation`: `OutgoingPropagationSubscriber`, what the module did before `httpClient`;
 * - `unsampled`: the histogram, and `traceparent` with flags 00 under an unsampled parent (no span);
 * - `sampled`: the histogram, a CLIENT span under a sampled parent, on the default path a user gets from
 *   `startObservabilitySdk({ sampleRatio: 1 })` (`BENCH_SPAN_PATH=sdk`: the SDK's span instead).
 */
require('reflect-metadata');
const { fork } = require('node:child_process');
const diagnosticsChannel = require('node:diagnostics_channel');
const { context, trace } = require('@opentelemetry/api');
const { startObservabilitySdk } = require('../../dist');
const { HttpClientSubscriber } = require('../../dist/http-client/http-client.subscriber');
const { resolveHttpClientOptions } = require('../../dist/http-client/http-client-options.resolver');
const { LeanHistogram } = require('../../dist/metrics/lean-histogram.metric');
const { OutgoingPropagationSubscriber } = require('../../dist/tracing/outgoing-propagation.subscriber');

const VARIANTS = ['bare', 'channels', 'propagation', 'unsampled', 'sampled'];
const OPTIONS = resolveHttpClientOptions({ urlTemplates: ['/prices/{item}'] });
/** The floor of any diagnostics_channel client instrumentation: the module's channels, with listeners that do nothing. */
const NOOP_CHANNELS = ['undici:request:create', 'undici:request:headers', 'undici:request:error', 'http.client.request.created', 'http.client.response.finish', 'http.client.request.error'];
const UNSAMPLED = trace.setSpan(context.active(), trace.wrapSpanContext({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 0 }));

function noop() {}

/** The processes the calls go to, and the SDK exporting to the sink, as a user's app would. */
class HttpClientBench {
  constructor() {
    this.sdk = null;
    this.tracer = null;
    this.sink = null;
    this.server = null;
    this.url = null;
    // One histogram per variant for the whole run, as an app has one: its children stay bound across batches.
    this.histograms = Object.fromEntries(
      ['unsampled', 'sampled'].map((v) => [v, new LeanHistogram('http_client_request_duration_seconds', 'bench', ['http_request_method', 'server_address', 'server_port', 'http_response_status_code', 'error_type', 'url_template'], OPTIONS.buckets)]),
    );
  }

  async start() {
    this.sink = fork(require.resolve('../http-sink.js'), [], { stdio: 'inherit' });
    const { port } = await new Promise((resolve) => this.sink.once('message', resolve));
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = `http://127.0.0.1:${port}`;
    const spanExport = process.env.BENCH_SPAN_PATH === 'sdk' ? { spanExport: 'sdk' } : {};
    this.sdk = startObservabilitySdk({ sampleRatio: 1, metrics: false, ...spanExport });
    this.tracer = trace.getTracerProvider().getTracer('nestjs-observability');
    this.server = fork(require.resolve('../http-client-server.js'), [], { stdio: 'inherit' });
    const serverPort = await new Promise((resolve) => this.server.once('message', resolve));
    this.url = `http://127.0.0.1:${serverPort}/prices/book?currency=EUR`;
  }

  /** Flushes the SDK, stops both processes, and gives the sink's counters. */
  async stop() {
    this.server.disconnect();
    this.server.kill();
    await this.sdk.shutdown();
    const received = await new Promise((resolve) => {
      this.sink.once('message', (message) => resolve(message.stats));
      this.sink.send('stats');
    });
    this.sink.send('exit');
    return received;
  }

  /** `calls` sequential calls in one variant: mean ms per call and caller CPU ms per call. */
  async batch(variant, calls) {
    const sub = this.subscribe(variant);
    let parent = UNSAMPLED;
    let span = null;
    if (variant === 'sampled') {
      span = this.tracer.startSpan('GET /quotes/:item');
      parent = trace.setSpan(context.active(), span);
    }
    const cpu = process.cpuUsage();
    const start = performance.now();
    await context.with(parent, () => this.calls(calls));
    const ms = (performance.now() - start) / calls;
    const used = process.cpuUsage(cpu);
    span?.end();
    sub?.onApplicationShutdown();
    return { ms, cpuMs: (used.user + used.system) / 1000 / calls };
  }

  async calls(n) {
    for (let i = 0; i < n; i++) {
      const response = await fetch(this.url);
      await response.arrayBuffer();
    }
  }

  subscribe(variant) {
    if (variant === 'bare') return null;
    if (variant === 'channels') {
      for (const name of NOOP_CHANNELS) diagnosticsChannel.subscribe(name, noop);
      return { onApplicationShutdown: () => NOOP_CHANNELS.forEach((name) => diagnosticsChannel.unsubscribe(name, noop)) };
    }
    if (variant === 'propagation') {
      const propagation = new OutgoingPropagationSubscriber();
      propagation.subscribe();
      return { onApplicationShutdown: () => propagation.unsubscribe() };
    }
    return new HttpClientSubscriber({ options: OPTIONS, tracer: this.tracer, histogram: this.histograms[variant], propagate: true, exemplars: true, ownPort: () => false });
  }
}

module.exports = { HttpClientBench, VARIANTS };
