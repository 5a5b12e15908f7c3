'use strict';
/**
 * /metrics render time: our renderRegistry() (Prometheus text and OpenMetrics) against
 * prom-client's own registry.metrics(), on the same Registry, at 1,000 and 10,000 sample lines.
 *
 * Prints one JSON object on stdout (run.js collects it). Run alone with
 *   node --expose-gc bench/render.js [--quick]
 * after `npm run build`.
 */
const { Counter, Gauge, Histogram, Registry } = require('prom-client');
const { renderRegistry } = require('../dist');
const { median, mad, rotate } = require('./lib/stats');

const quick = process.argv.includes('--quick');
const SIZES = [
  { series: 1_000, rounds: quick ? 7 : 41 },
  { series: 10_000, rounds: quick ? 5 : 21 },
];
const WARMUP = 5;
// prom-client's default buckets: 11 bounds + "+Inf" + _sum + _count = 14 lines per child.
const HISTOGRAM_LINES_PER_CHILD = 14;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = ['200', '201', '204', '400', '404', '500'];

/**
 * A Registry with about `lines` sample lines: 40% counter lines, 10% gauge lines and 50% histogram
 * lines, with label values shaped like real ones (routes, status codes).
 */
function buildRegistry(lines) {
  const registry = new Registry();
  const counter = new Counter({ name: 'http_requests_total', help: 'HTTP requests.', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const gauge = new Gauge({ name: 'queue_depth', help: 'Jobs waiting, by queue and shard.', labelNames: ['queue', 'shard'], registers: [registry] });
  const histogram = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds.',
    labelNames: ['method', 'route'],
    registers: [registry],
  });
  const counterSeries = Math.round(lines * 0.4);
  const gaugeSeries = Math.round(lines * 0.1);
  const histogramChildren = Math.round((lines - counterSeries - gaugeSeries) / HISTOGRAM_LINES_PER_CHILD);
  for (let i = 0; i < counterSeries; i++) {
    counter.inc({ method: METHODS[i % 4], route: `/api/v1/resource${Math.floor(i / 24)}/:id`, status: STATUSES[Math.floor(i / 4) % 6] }, (i % 97) + 1);
  }
  for (let i = 0; i < gaugeSeries; i++) gauge.set({ queue: `queue_${Math.floor(i / 8)}`, shard: String(i % 8) }, (i * 7) % 1000);
  for (let i = 0; i < histogramChildren; i++) {
    const labels = { method: METHODS[i % 4], route: `/api/v1/resource${Math.floor(i / 4)}/:id` };
    for (let k = 0; k < 5; k++) histogram.observe(labels, ((i + k) % 50) / 17);
  }
  return registry;
}

function sampleLines(text) {
  let n = 0;
  for (const line of text.split('\n')) if (line && line[0] !== '#') n++;
  return n;
}

/**
 * The two outputs differ in layout only (prom-client puts `le` first and a blank line between
 * families), so compare them as sets of samples: labels sorted, blank lines dropped.
 */
function normalize(text) {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(/\{(.*)\}/, (_, body) => '{' + body.split(/,(?=[a-zA-Z_][a-zA-Z0-9_]*=")/).sort().join(',') + '}'))
    .sort()
    .join('\n');
}

async function timeMs(fn) {
  if (global.gc) global.gc();
  const start = process.hrtime.bigint();
  const text = await fn();
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, length: text.length };
}

async function main() {
  const results = [];
  for (const { series, rounds } of SIZES) {
    const registry = buildRegistry(series);
    const ours = await renderRegistry(registry, 'prometheus');
    const theirs = await registry.metrics();
    const variants = [
      { id: 'prom-client', label: 'prom-client registry.metrics()', run: () => registry.metrics(), samples: [] },
      { id: 'ours.prometheus', label: "renderRegistry(r, 'prometheus')", run: () => renderRegistry(registry, 'prometheus'), samples: [] },
      { id: 'ours.openmetrics', label: "renderRegistry(r, 'openmetrics')", run: () => renderRegistry(registry, 'openmetrics'), samples: [] },
    ];
    for (let w = 0; w < WARMUP; w++) for (const v of variants) await timeMs(v.run);
    for (let r = 0; r < rounds; r++) {
      let order = rotate(variants, r);
      if (r % 2) order = order.reverse();
      for (const v of order) v.samples.push((await timeMs(v.run)).ms);
    }
    const base = variants[0];
    results.push({
      series,
      sampleLines: sampleLines(theirs),
      sameSamplesAsPromClient: normalize(ours) === normalize(theirs),
      bytes: theirs.length,
      rounds,
      variants: variants.map((v) => ({
        id: v.id,
        label: v.label,
        ms: median(v.samples),
        madMs: mad(v.samples),
        // Ratio per round (adjacent runs), then the median of those.
        ratioToPromClient: v === base ? 1 : median(v.samples.map((s, i) => s / base.samples[i])),
        samples: v.samples,
      })),
    });
  }
  process.stdout.write(JSON.stringify({ results }) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
