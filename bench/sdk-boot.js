'use strict';
/**
 * What starting the SDK costs at boot: modules loaded, RSS and heap, and time, for
 * `startObservabilitySdk()` of one or more builds of the library, each in fresh processes.
 *
 *   npm run build && node bench/sdk-boot.js                       # this build (dist/)
 *   node bench/sdk-boot.js --dist old=bench/results/old-dist --dist new=dist --rounds 7
 *   node bench/sdk-boot.js --case traces --case traces+metrics   # which SDK setups (default: both)
 *
 * Cases: `traces` = OTLP traces exporter, `metrics: false` (no MeterProvider); `traces+pull` = the default
 * setup (a MeterProvider with the pull reader that /metrics renders); `traces+pull+push` = also
 * `OTEL_METRICS_EXPORTER=otlp` (OTLP metric push). A build without metrics support ignores both.
 * Each run: a child loads `@opentelemetry/api`, `@nestjs/common` and the library (baseline), then calls
 * `startObservabilitySdk()`; "modules" is the growth of `require.cache`, "RSS" of VmRSS (after a full GC),
 * both measured around that call only. Medians over the rounds (runs interleaved).
 * To build the previous SDK for comparison: `git archive <commit> lib tsconfig.build.json | tar -x -C
 * bench/results/old-src`, then `npx tsc -p bench/results/old-src/tsconfig.build.json --outDir bench/results/old-dist`.
 */
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { median } = require('./lib/stats');

const args = process.argv.slice(2);
const values = (name) => args.flatMap((a, i) => (a === name && args[i + 1] ? [args[i + 1]] : []));
const ROUNDS = Number(values('--rounds')[0] ?? 5);
const dists = (values('--dist').length ? values('--dist') : ['this=dist']).map((d) => {
  const [label, dir] = d.includes('=') ? d.split('=') : [d, d];
  return { label, dir: path.resolve(dir) };
});
const cases = values('--case').length ? values('--case') : ['traces', 'traces+pull', 'traces+pull+push'];

if (process.env.SDK_BOOT_CHILD) {
  const gc = () => (global.gc ? global.gc() : undefined);
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(require('node:fs').readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
  require('@opentelemetry/api');
  require('@nestjs/common');
  const lib = require(process.env.SDK_BOOT_CHILD);
  gc();
  const otel = () => Object.keys(require.cache).filter((k) => k.includes('@opentelemetry')).length;
  const otelBefore = otel();
  const before = { modules: Object.keys(require.cache).length, rss: rss(), heap: process.memoryUsage().heapUsed };
  const t0 = process.hrtime.bigint();
  const sdk = lib.startObservabilitySdk({ serviceName: 'boot', ...(process.env.SDK_BOOT_METRICS === 'off' ? { metrics: false } : {}) });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  gc();
  const after = { modules: Object.keys(require.cache).length, rss: rss(), heap: process.memoryUsage().heapUsed };
  const otelModules = otel() - otelBefore;
  process.stdout.write(JSON.stringify({ ms, modules: after.modules - before.modules, otelModules, rss: after.rss - before.rss, heap: (after.heap - before.heap) / 1048576, rssTotal: after.rss }) + '\n');
  sdk.shutdown().then(() => process.exit(0));
  return;
}

const results = {};
for (let round = 0; round < ROUNDS; round++) {
  for (const dist of round % 2 ? [...dists].reverse() : dists) {
    for (const c of cases) {
      const env = { ...process.env, SDK_BOOT_CHILD: dist.dir, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_METRICS_EXPORTER: c === 'traces+pull+push' ? 'otlp' : 'none', SDK_BOOT_METRICS: c === 'traces' ? 'off' : 'on' };
      const out = execFileSync(process.execPath, ['--expose-gc', __filename], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
      (results[`${dist.label}\u0000${c}`] ??= []).push(JSON.parse(out.trim().split('\n').pop()));
    }
  }
}

console.log(`\nSDK start at boot (${ROUNDS} rounds, medians; Node ${process.version})\n`);
console.log('| Build | Setup | modules loaded | of them @opentelemetry | RSS MB (after GC) | heap MB | start ms |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const dist of dists) {
  for (const c of cases) {
    const runs = results[`${dist.label}\u0000${c}`];
    const m = (k, d = 1) => median(runs.map((r) => r[k])).toFixed(d);
    console.log(`| ${dist.label} | ${c} | ${m('modules', 0)} | ${m('otelModules', 0)} | +${m('rss')} | +${m('heap')} | ${m('ms')} |`);
  }
}
