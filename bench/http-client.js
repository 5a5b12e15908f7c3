'use strict';
/**
 * Cost of the outgoing HTTP part (`httpClient`) on a `fetch()` to a local server: the time of one
 * call (sequential, keep-alive, a 2-byte answer from a plain `node:http` server in a process of its
 * own) without the module, and with the module's `HttpClientSubscriber` subscribed to the diagnostics
 * channels. The variants are in bench/lib/http-client-variants.js; the sampled one exports, from the
 * worker thread, to bench/http-sink.js, which counts what it receives (`BENCH_SPAN_PATH=sdk`: the SDK's
 * span and exporter instead). Instructions per call, deterministic: bench/http-client-callgrind.js.
 *
 * Variants alternate within each round (rotated order), and the ratios are medians of per-round
 * ratios, so a slow spell of the shared machine moves all of them. Targets: ≤ 1.05× unsampled,
 * ≤ 1.15× sampled. Run: `npm run bench:http-client` (or `-- --quick`), best with
 * `bash bench/lib/priority.sh npm run bench:http-client`.
 */
const { HttpClientBench, VARIANTS } = require('./lib/http-client-variants');
const { median, mad, roundOrder, medianRatio } = require('./lib/stats');

const quick = process.argv.includes('--quick');
// Short batches, many rounds: the variants of a round run within a few hundred ms of each other.
const CALLS = quick ? 50 : 100;
const ROUNDS = quick ? 11 : 121;
const WARMUP_ROUNDS = 2;

async function main() {
  const bench = new HttpClientBench();
  await bench.start();
  const variants = process.env.BENCH_VARIANTS ? process.env.BENCH_VARIANTS.split(',') : VARIANTS;
  const samples = Object.fromEntries(variants.map((v) => [v, []]));
  const cpu = Object.fromEntries(variants.map((v) => [v, []]));
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    for (const variant of roundOrder(variants, round)) {
      const { ms, cpuMs } = await bench.batch(variant, CALLS);
      if (round >= WARMUP_ROUNDS) {
        samples[variant].push(ms);
        cpu[variant].push(cpuMs);
      }
    }
  }
  const received = await bench.stop();
  const sdk = bench.sdk;
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
