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
const { median, mad, roundOrder, medianRatio } = require('./lib/stats');
const { populate, sampleLines } = require('./lib/series');
const { timeMs } = require('./lib/timing');

const quick = process.argv.includes('--quick');
const SIZES = [
  { series: 1_000, rounds: quick ? 7 : 41 },
  { series: 10_000, rounds: quick ? 5 : 21 },
];
const WARMUP = 5;
/**
 * A Registry with about `lines` sample lines: 40% counter lines, 10% gauge lines and 50% histogram
 * lines, with label values shaped like real ones (routes, status codes); see bench/lib/series.js.
 */
function buildRegistry(lines) {
  const registry = new Registry();
  populate(
    {
      counter: (config) => new Counter({ ...config, registers: [registry] }),
      gauge: (config) => new Gauge({ ...config, registers: [registry] }),
      histogram: (config) => new Histogram({ ...config, registers: [registry] }),
    },
    lines,
  );
  return registry;
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
    for (let r = 0; r < rounds; r++) for (const v of roundOrder(variants, r)) v.samples.push((await timeMs(v.run)).ms);
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
        ratioToPromClient: v === base ? 1 : medianRatio(v.samples, base.samples),
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
