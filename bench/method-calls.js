'use strict';
/**
 * Per-call cost of @Counted() / @Timed() on a provider of a real Nest application context,
 * against the same method undecorated and against prom-client's own label-based API.
 *
 * Prints one JSON object on stdout (run.js collects it). Run alone with
 *   node bench/method-calls.js [--quick]
 * after `npm run build`. Add `--cpu-prof` before the script name to profile.
 */
require('reflect-metadata');
const { decorateMethod } = require('./lib/decorate');
const { Module, Injectable } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Counter, Histogram, Registry } = require('prom-client');
const { ObservabilityModule, Counted, Timed } = require('../dist');
const { median, mad, roundOrder, medianDifference } = require('./lib/stats');
const { makeCallLoop, makeAsyncCallLoop, workClasses, asyncWorkClasses } = require('./lib/timing');

const quick = process.argv.includes('--quick');
const SYNC_ITERATIONS = quick ? 1_000_000 : 5_000_000;
const PROM_ITERATIONS = quick ? 400_000 : 2_000_000; // prom-client is ~10x slower per call; keep rounds short
const ASYNC_ITERATIONS = quick ? 200_000 : 1_000_000;
const ROUNDS = quick ? 3 : 9;
const WARMUP_ROUNDS = 2;

// ---------------------------------------------------------------------------------------------
// Providers. Every variant is its own class so that each has its own metric and its own
// dispatcher; the method body is the same tiny, side-effect-free computation everywhere.
// ---------------------------------------------------------------------------------------------

const { PlainService, CountedService, TimedService, CountedTimedService } = workClasses('PlainService', 'CountedService', 'TimedService', 'CountedTimedService');
const { PlainAsyncService, CountedAsyncService } = asyncWorkClasses(Promise.resolve(1), 'PlainAsyncService', 'CountedAsyncService');

decorateMethod(CountedService, 'work', [Counted()]);
decorateMethod(TimedService, 'work', [Timed()]);
decorateMethod(CountedTimedService, 'work', [Counted(), Timed()]); // = @Counted() @Timed() work() {}
decorateMethod(CountedAsyncService, 'work', [Counted()]);

const providers = [PlainService, CountedService, TimedService, CountedTimedService, PlainAsyncService, CountedAsyncService];
for (const p of providers) Reflect.decorate([Injectable()], p);

class BenchModule {}
Reflect.decorate(
  [
    Module({
      imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false, http: false } })],
      providers,
    }),
  ],
  BenchModule,
);

// ---------------------------------------------------------------------------------------------
// Measurement: each variant gets its own compiled loop (bench/lib/timing.js); results are
// accumulated and sunk to defeat dead-code elimination.
// ---------------------------------------------------------------------------------------------

let sink = 0;

async function timeOnce(variant) {
  const start = process.hrtime.bigint();
  const acc = variant.async ? await variant.loop(variant.target, variant.iterations) : variant.loop(variant.target, variant.iterations);
  const elapsed = process.hrtime.bigint() - start;
  sink = (sink + acc) | 0;
  return Number(elapsed) / variant.iterations;
}

async function main() {
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  await app.init();

  // prom-client reference: the same tiny method, with the metric update written inline the
  // way one would without the decorators (label object per call).
  const promRegistry = new Registry();
  const promCounter = new Counter({ name: 'ref_calls_total', help: 'ref', labelNames: ['class', 'method'], registers: [promRegistry] });
  const promHistogram = new Histogram({ name: 'ref_seconds', help: 'ref', labelNames: ['class', 'method'], registers: [promRegistry] });
  const promCounterTarget = {
    work(x) {
      promCounter.inc({ class: 'RefService', method: 'work' });
      return x & 1;
    },
  };
  const promHistogramTarget = {
    work(x) {
      const end = promHistogram.startTimer({ class: 'RefService', method: 'work' });
      const r = x & 1;
      end();
      return r;
    },
  };

  // What two clock reads cost on their own (what @Timed() needs at minimum per call).
  const clockTarget = {
    work(x) {
      const t0 = performance.now();
      return (performance.now() - t0 >= 0) & x & 1;
    },
  };

  const variants = [
    { id: 'sync.plain', label: 'sync: plain method', target: app.get(PlainService), iterations: SYNC_ITERATIONS },
    { id: 'sync.counted', label: 'sync: @Counted()', target: app.get(CountedService), iterations: SYNC_ITERATIONS, baseline: 'sync.plain' },
    { id: 'sync.timed', label: 'sync: @Timed()', target: app.get(TimedService), iterations: SYNC_ITERATIONS, baseline: 'sync.plain' },
    { id: 'sync.both', label: 'sync: @Counted() @Timed()', target: app.get(CountedTimedService), iterations: SYNC_ITERATIONS, baseline: 'sync.plain' },
    { id: 'ref.promCounter', label: 'ref: prom-client counter.inc({class,method})', target: promCounterTarget, iterations: PROM_ITERATIONS, baseline: 'sync.plain' },
    { id: 'ref.promHistogram', label: 'ref: prom-client histogram.startTimer({class,method}) + end()', target: promHistogramTarget, iterations: PROM_ITERATIONS, baseline: 'sync.plain' },
    { id: 'ref.clock', label: 'ref: 2x performance.now() in a plain method', target: clockTarget, iterations: SYNC_ITERATIONS, baseline: 'sync.plain' },
    { id: 'async.plain', label: 'async: plain method (await resolved promise)', target: app.get(PlainAsyncService), iterations: ASYNC_ITERATIONS, async: true },
    { id: 'async.counted', label: 'async: @Counted()', target: app.get(CountedAsyncService), iterations: ASYNC_ITERATIONS, async: true, baseline: 'async.plain' },
  ];
  for (const v of variants) {
    v.loop = v.async ? makeAsyncCallLoop(v.id) : makeCallLoop(v.id);
    v.samples = [];
  }

  // Sanity: the decorators really are active (the counters move), the plain one is untouched.
  const before = await app.get(require('../dist').MetricsService).registry.getMetricsAsJSON();
  if (!before.some((m) => m.name === 'counted_service_work_total')) throw new Error('@Counted() metric missing: decorators not wired');

  // Warm-up: every variant, several times, before any sample is kept, so all loops and the
  // shared invokeInstrumented() see their steady-state (polymorphic) type feedback.
  for (let r = 0; r < WARMUP_ROUNDS; r++) for (const v of variants) await timeOnce(v);

  for (let r = 0; r < ROUNDS; r++) for (const v of roundOrder(variants, r)) v.samples.push(await timeOnce(v));

  const metrics = await app.get(require('../dist').MetricsService).registry.getMetricsAsJSON();
  const countedTotal = metrics
    .find((m) => m.name === 'counted_service_work_total')
    .values.reduce((a, s) => a + s.value, 0);
  const expectedCounted = (WARMUP_ROUNDS + ROUNDS) * SYNC_ITERATIONS;
  if (countedTotal !== expectedCounted) throw new Error(`@Counted() counted ${countedTotal}, expected ${expectedCounted}`);

  const byId = Object.fromEntries(variants.map((v) => [v.id, v]));
  const rows = variants.map((v) => {
    const ns = median(v.samples);
    const row = { id: v.id, label: v.label, iterations: v.iterations, rounds: ROUNDS, nsPerCall: ns, madNs: mad(v.samples), samples: v.samples };
    if (v.baseline) {
      row.baseline = v.baseline;
      row.overheadNs = medianDifference(v.samples, byId[v.baseline].samples);
    }
    return row;
  });
  await app.close();
  process.stdout.write(JSON.stringify({ rows, sink }) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
