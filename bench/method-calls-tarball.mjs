/**
 * @Counted() per-call cost in a user's app, installed from the packed tarball (issue 18 §6): the
 * reporter's setting, reproduced as they had it.
 *
 * - `npm pack` of this repo (its `prepack` builds dist/), installed with Nest 12 into a consumer
 *   directory outside the repo (os.tmpdir()/nestjs-observability-bench-tarball, kept between runs so
 *   the npm install is incremental; npm's own cache is shared with test/e2e/packaging.spec.ts);
 * - an ESM program there (app.mjs, written by this script) that starts a `NodeSDK` with a
 *   `BatchSpanProcessor` first, as a user does, then a Nest 12 app (`NestFactory.create`, Express) with
 *   `ObservabilityModule.forRoot()` and its defaults, decorated the way `tsc` emits decorators;
 * - the provider taken with `app.get()` and called in loops, outside any request: `plain(x)` and
 *   `@Counted() counted(x)`, same body, in interleaved rounds, timed with the main thread's CPU time
 *   (`process.threadCpuUsage()`) and with the wall clock.
 *
 * Two loop shapes, since a user's loop is theirs: a loop written per method (`for (…) svc.counted(i)`),
 * and one helper that times any function it is given (`time(() => svc.counted(i))`), whose call site
 * sees both methods.
 *
 *   npm run bench:app:tarball [-- --quick] [-- --no-pack]   # --no-pack: reuse the installed tarball
 *   npm run bench:app:tarball -- --tarball OLD.tgz           # another build's tarball (e.g. `npm pack` of an older commit)
 *   BENCH_TRACING=0 / BENCH_SDK=0 / BENCH_DEFAULTS=0 …      # settings to tell causes apart
 *
 * Prints a markdown table (and the raw JSON with --json).
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIR = join(tmpdir(), 'nestjs-observability-bench-tarball');
const quick = process.argv.includes('--quick');

/** The consumer's dependencies: those of test/consumers/nest12-esm that such an app needs. */
const DEPENDENCIES = ['@nestjs/common', '@nestjs/core', '@nestjs/platform-express', '@nestjs/terminus', '@opentelemetry/api', '@opentelemetry/sdk-node', 'prom-client', 'reflect-metadata', 'rxjs'];

function install() {
  const template = JSON.parse(readFileSync(join(ROOT, 'test/consumers/nest12-esm/package.json'), 'utf8'));
  mkdirSync(DIR, { recursive: true });
  const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const dependencies = Object.fromEntries(DEPENDENCIES.map((name) => [name, template.dependencies[name]]));
  // The SDK's BatchSpanProcessor, as a user imports it (the version this repo tests with).
  dependencies['@opentelemetry/sdk-trace'] = own.devDependencies['@opentelemetry/sdk-trace'];
  for (const file of readdirSync(DIR)) if (file.endsWith('.tgz')) rmSync(join(DIR, file));
  const given = process.argv.includes('--tarball') ? process.argv[process.argv.indexOf('--tarball') + 1] : null;
  let packed = 'given.tgz';
  if (given) copyFileSync(given, join(DIR, packed));
  // `prepack` builds dist/ first: the tarball holds what a user installs.
  else packed = execFileSync('npm', ['pack', '--pack-destination', DIR], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n').pop();
  const manifest = { name: 'bench-tarball-consumer', version: '0.0.0', private: true, type: 'module', dependencies: { ...dependencies, 'nestjs-observability': `file:./${packed}` }, allowScripts: template.allowScripts };
  writeFileSync(join(DIR, 'package.json'), JSON.stringify(manifest, null, 2));
  // A new tarball under the same name: the lock's integrity would refuse it.
  rmSync(join(DIR, 'package-lock.json'), { force: true });
  rmSync(join(DIR, 'node_modules/nestjs-observability'), { recursive: true, force: true });
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: DIR, stdio: ['ignore', 'ignore', 'inherit'] });
}

/** The user's program, as they would write it (ESM, tsc-style decorators), with a few switches for the bench. */
const APP = String.raw`
import { NodeSDK } from '@opentelemetry/sdk-node';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';

const env = (name, fallback) => process.env[name] ?? fallback;
let sdk;
if (env('BENCH_SDK', '1') === '1') {
  // An exporter that keeps nothing: the calls below make no span anyway (no request, no @Traced()).
  const exporter = { export: (_spans, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
  sdk = new NodeSDK({ spanProcessors: [new BatchSpanProcessor({ exporter })] });
  sdk.start();
}
await import('reflect-metadata');
const { Injectable, Module } = await import('@nestjs/common');
const { NestFactory } = await import('@nestjs/core');
const { ObservabilityModule, Counted, MetricsService } = await import('nestjs-observability');

// What tsc emits for legacy decorators.
var __decorate = function (decorators, target, key, desc) {
  var c = arguments.length, r = c < 3 ? target : desc === null ? desc = Object.getOwnPropertyDescriptor(target, key) : desc, d;
  if (typeof Reflect === 'object' && typeof Reflect.decorate === 'function') r = Reflect.decorate(decorators, target, key, desc);
  else for (var i = decorators.length - 1; i >= 0; i--) if (d = decorators[i]) r = (c < 3 ? d(r) : c > 3 ? d(target, key, r) : d(target, key)) || r;
  return c > 3 && r && Object.defineProperty(target, key, r), r;
};

let OrdersService = class OrdersService {
  plain(x) { return x & 1; }
  counted(x) { return x & 1; }
};
__decorate([Counted()], OrdersService.prototype, 'counted', null);
OrdersService = __decorate([Injectable()], OrdersService);

let AppModule = class AppModule {};
const forRoot = env('BENCH_DEFAULTS', '1') === '1' ? {} : { metrics: { defaultMetrics: false, http: false }, health: false };
if (env('BENCH_TRACING', '1') === '0') forRoot.tracing = false;
AppModule = __decorate([Module({ imports: [ObservabilityModule.forRoot(forRoot)], providers: [OrdersService] })], AppModule);

const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
await app.init();
const svc = app.get(OrdersService);

const N = Number(env('BENCH_CALLS', '4000000'));
const ROUNDS = Number(env('BENCH_ROUNDS', '9'));
// Loops as a user writes them: one per method...
function loopPlain(n) { let acc = 0; for (let i = 0; i < n; i++) acc = (acc + svc.plain(i)) | 0; return acc; }
function loopCounted(n) { let acc = 0; for (let i = 0; i < n; i++) acc = (acc + svc.counted(i)) | 0; return acc; }
// ...or one helper for both.
function time(fn, n) { let acc = 0; for (let i = 0; i < n; i++) acc = (acc + fn(i)) | 0; return acc; }
const helperPlain = (n) => time((i) => svc.plain(i), n);
const helperCounted = (n) => time((i) => svc.counted(i), n);
const variants = [
  { name: 'loop.plain', run: loopPlain },
  { name: 'loop.counted', run: loopCounted },
  { name: 'helper.plain', run: helperPlain },
  { name: 'helper.counted', run: helperCounted },
  // ...or at the top level of the module, in no function at all (run inline below).
  { name: 'top.plain', run: null },
  { name: 'top.counted', run: null },
].map((v) => ({ ...v, cpu: [], wall: [] }));
const cpuNs = () => { const u = process.threadCpuUsage(); return (u.user + u.system) * 1000; };
let sink = 0;
for (let r = 0; r < 2; r++) for (const v of variants) if (v.run) sink ^= v.run(N / 4);
for (let r = -2; r < ROUNDS; r++) {
  // Rotating and reversing order, as bench/lib/stats.js roundOrder().
  const order = variants.map((_, i) => variants[(i + r + 2) % variants.length]);
  if (r % 2) order.reverse();
  for (const v of order) {
    const c0 = cpuNs();
    const w0 = process.hrtime.bigint();
    if (v.name === 'top.plain') {
      let acc = 0;
      for (let i = 0; i < N; i++) acc = (acc + svc.plain(i)) | 0;
      sink ^= acc;
    } else if (v.name === 'top.counted') {
      let acc = 0;
      for (let i = 0; i < N; i++) acc = (acc + svc.counted(i)) | 0;
      sink ^= acc;
    } else sink ^= v.run(N);
    if (r < 0) continue; // warm-up rounds of the top-level loops
    v.wall.push(Number(process.hrtime.bigint() - w0) / N);
    v.cpu.push((cpuNs() - c0) / N);
  }
}
const text = await app.get(MetricsService).render('prometheus');
if (!/orders_service_counted_total\{[^}]*result="success"[^}]*\} [1-9]/.test(text)) throw new Error('@Counted() did not count');
await app.close();
await sdk?.shutdown();
process.stdout.write(JSON.stringify({ sink, variants: variants.map(({ name, cpu, wall }) => ({ name, cpu, wall })) }) + '\n');
`;

if (!process.argv.includes('--no-pack') || !existsSync(join(DIR, 'node_modules/nestjs-observability'))) install();
writeFileSync(join(DIR, 'app.mjs'), APP);

const { median, medianDifference } = await import(join(ROOT, 'bench/lib/stats.js')).then((m) => m.default ?? m);
const settings = [
  { id: 'user', label: "the reporter's setting: tarball, NodeSDK + BatchSpanProcessor, forRoot() defaults", env: {} },
  { id: 'no-tracing', label: 'same, `tracing: false`', env: { BENCH_TRACING: '0' } },
  { id: 'no-sdk', label: 'same, no NodeSDK', env: { BENCH_SDK: '0' } },
  { id: 'lean', label: 'same, no NodeSDK, defaultMetrics/http/health off (bench:app\'s options)', env: { BENCH_SDK: '0', BENCH_DEFAULTS: '0' } },
].filter((s) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').includes(s.id));
let pin = [];
try {
  execFileSync('taskset', ['-c', '0', 'true']);
  pin = ['taskset', '-c', '0'];
} catch {}
const rows = [];
for (const s of settings) {
  const [cmd, ...args] = [...pin, process.execPath, ...(process.env.BENCH_NODE_ARGS ? process.env.BENCH_NODE_ARGS.split(' ') : []), join(DIR, 'app.mjs')];
  const env = { ...process.env, ...(quick ? { BENCH_CALLS: '1000000', BENCH_ROUNDS: '3' } : {}), ...s.env };
  const out = execFileSync(cmd, args, { cwd: DIR, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const { variants } = JSON.parse(out.trim().split('\n').pop());
  const by = Object.fromEntries(variants.map((v) => [v.name, v]));
  rows.push({
    ...s,
    loopCpu: medianDifference(by['loop.counted'].cpu, by['loop.plain'].cpu),
    loopWall: medianDifference(by['loop.counted'].wall, by['loop.plain'].wall),
    helperCpu: medianDifference(by['helper.counted'].cpu, by['helper.plain'].cpu),
    helperWall: medianDifference(by['helper.counted'].wall, by['helper.plain'].wall),
    topCpu: medianDifference(by['top.counted'].cpu, by['top.plain'].cpu),
    topWall: medianDifference(by['top.counted'].wall, by['top.plain'].wall),
    plainCpu: median(by['loop.plain'].cpu),
    variants,
  });
}
if (process.argv.includes('--json')) console.log(JSON.stringify(rows));
console.log('\n| setting | plain call, CPU (ns) | `@Counted()` over plain, own loop: CPU / wall (ns) | shared helper: CPU / wall (ns) | module top level: CPU / wall (ns) |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.label} | ${r.plainCpu.toFixed(1)} | ${r.loopCpu.toFixed(1)} / ${r.loopWall.toFixed(1)} | ${r.helperCpu.toFixed(1)} / ${r.helperWall.toFixed(1)} | ${r.topCpu.toFixed(1)} / ${r.topWall.toFixed(1)} |`);
