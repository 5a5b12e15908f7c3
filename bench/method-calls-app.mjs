/**
 * @Counted() / @Timed() per-call cost in the setting of a real application (issue 12 §5): a Nest 12
 * ESM program that loads the built package, with tracing on and an OpenTelemetry SDK registered
 * first (NodeSDK, batch span processor), and a service with several decorated methods, all of them
 * called, so that the code the decorators share sees every method (as in an app), not one.
 *
 * Each setting runs in its own process pinned to one core (`taskset -c 0`), as the report that
 * found the gap did. Time is the main thread's CPU time (process.threadCpuUsage), so other
 * processes on the shared machine do not count.
 *
 *   node bench/method-calls-app.mjs [--quick]           # all settings, prints JSON rows
 *   BENCH_SDK=1 BENCH_METHODS=several node bench/method-calls-app.mjs --child
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { decorateMethod } = require('./lib/decorate.js');
const { median, roundOrder, medianDifference } = require('./lib/stats.js');
const { makeCallLoop } = require('./lib/timing.js');
const quick = process.argv.includes('--quick');
const ITERATIONS = quick ? 1_000_000 : 4_000_000;
const ROUNDS = quick ? 3 : 7;

if (!process.argv.includes('--child')) {
  const settings = [
    { id: 'one-method', label: 'one decorated method, no SDK, tracing off (the micro-bench setting)', env: { BENCH_SDK: '0', BENCH_METHODS: 'one', BENCH_TRACING: '0' } },
    { id: 'several-methods', label: 'several decorated methods, no SDK, tracing off', env: { BENCH_SDK: '0', BENCH_METHODS: 'several', BENCH_TRACING: '0' } },
    { id: 'sdk-tracing', label: 'one decorated method, NodeSDK registered, tracing on', env: { BENCH_SDK: '1', BENCH_METHODS: 'one', BENCH_TRACING: '1' } },
    { id: 'app', label: 'several decorated methods, NodeSDK registered, tracing on (the app setting)', env: { BENCH_SDK: '1', BENCH_METHODS: 'several', BENCH_TRACING: '1' } },
  ];
  const self = fileURLToPath(import.meta.url);
  const rows = [];
  for (const s of settings) {
    let pin = [];
    try {
      execFileSync('taskset', ['-c', '0', 'true']);
      pin = ['taskset', '-c', '0'];
    } catch {}
    const [cmd, ...args] = [...pin, process.execPath, self, '--child', ...(quick ? ['--quick'] : [])];
    const out = execFileSync(cmd, args, { env: { ...process.env, ...s.env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    rows.push({ id: s.id, label: s.label, ...JSON.parse(out.trim().split('\n').pop()) });
  }
  process.stdout.write(JSON.stringify({ rows }) + '\n');
} else {
  await child();
}

async function child() {
  const withSdk = process.env.BENCH_SDK === '1';
  const several = process.env.BENCH_METHODS === 'several';
  const tracing = process.env.BENCH_TRACING === '1';
  let sdk;
  if (withSdk) {
    // As an application does: the SDK first, then Nest and the app.
    const { NodeSDK } = require('@opentelemetry/sdk-node');
    const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace');
    const exporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
    sdk = new NodeSDK({ spanProcessors: [new BatchSpanProcessor({ exporter })], instrumentations: [] });
    sdk.start();
  }
  await import('reflect-metadata');
  const { Injectable, Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { ObservabilityModule, Counted, Timed, Traced, MetricsService } = require('../dist/index.js');

  class ShopService {
    plain(x) {
      return x & 1;
    }
    counted(x) {
      return x & 1;
    }
    timed(x) {
      return x & 1;
    }
    listOrders(x) {
      return x & 3;
    }
    findOrder(x) {
      return x & 7;
    }
    priceOf(x) {
      return x & 15;
    }
    async placeOrder(x) {
      return x;
    }
  }
  decorateMethod(ShopService, 'counted', [Counted()]);
  decorateMethod(ShopService, 'timed', [Timed()]);
  if (several) {
    decorateMethod(ShopService, 'listOrders', [Counted(), Timed()]);
    decorateMethod(ShopService, 'findOrder', [Counted()]);
    decorateMethod(ShopService, 'priceOf', [Timed()]);
    decorateMethod(ShopService, 'placeOrder', tracing ? [Traced(), Counted()] : [Counted()]);
  }
  Reflect.decorate([Injectable()], ShopService);
  class BenchModule {}
  Reflect.decorate(
    [Module({ imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false, http: false }, tracing: tracing ? {} : false, health: false })], providers: [ShopService] })],
    BenchModule,
  );
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  await app.init();
  const shop = app.get(ShopService);

  const loop = (name) => makeCallLoop(name, name);
  const variants = ['plain', 'counted', 'timed'].map((name) => ({ name, run: loop(name), samples: [], wall: [] }));
  let sink = 0;
  // Warm-up: every decorated method, sync and async, so shared code sees all of them.
  for (let r = 0; r < 2; r++) {
    for (const v of variants) sink ^= v.run(shop, ITERATIONS / 4);
    if (several) {
      for (const name of ['listOrders', 'findOrder', 'priceOf']) sink ^= loop(name)(shop, ITERATIONS / 4);
      for (let i = 0; i < 20_000; i++) await shop.placeOrder(i);
    }
  }
  const cpuNs = () => {
    const u = process.threadCpuUsage ? process.threadCpuUsage() : process.cpuUsage();
    return (u.user + u.system) * 1000;
  };
  for (let r = 0; r < ROUNDS; r++) {
    for (const v of roundOrder(variants, r)) {
      const start = cpuNs();
      const wallStart = process.hrtime.bigint();
      sink ^= v.run(shop, ITERATIONS);
      v.wall.push(Number(process.hrtime.bigint() - wallStart) / ITERATIONS);
      v.samples.push((cpuNs() - start) / ITERATIONS);
    }
  }
  const [plain] = variants;
  const result = { sink };
  for (const v of variants) {
    result[v.name] = median(v.samples);
    result[`${v.name}Wall`] = median(v.wall);
    if (v !== plain) {
      result[`${v.name}Overhead`] = medianDifference(v.samples, plain.samples);
      result[`${v.name}WallOverhead`] = medianDifference(v.wall, plain.wall);
    }
  }
  // The decorators were active: the counter moved.
  const text = await app.get(MetricsService).render('prometheus');
  if (!/shop_service_counted_total\{[^}]*result="success"[^}]*\} [1-9]/.test(text)) throw new Error('@Counted() did not count');
  await app.close();
  await sdk?.shutdown();
  process.stdout.write(JSON.stringify(result) + '\n');
}
