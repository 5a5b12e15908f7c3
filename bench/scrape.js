'use strict';
/**
 * Scrapes that do not stall requests (issue 12 §4). Two parts, one table each:
 *
 * 1. In process, on the module's MetricsService with about 10,000 and 50,000 extra sample lines:
 *    the longest event-loop stall during one render (the largest gap between two turns of a
 *    setImmediate chain that runs meanwhile) and the render's wall time, for the module's sliced
 *    render, the same render in one go (sliceMs 0), and prom-client's `registry.metrics()`; and
 *    ten concurrent renders (the module shares one).
 * 2. Over HTTP, Express and Fastify: `wrk -t1 -c50` on /hello (server pinned to core 0, wrk to
 *    core 1) alone, then while a scraper fetches /metrics back to back, then while it fetches
 *    /naive-metrics (the same Registry through `await registry.metrics()` in a controller).
 *
 *   npm run bench:scrape [-- --quick] [-- --seconds 5] [-- --part stalls|http] [-- --adapter fastify] [-- --lines 10000]
 *
 * Needs wrk and taskset. Prints markdown tables; every child process is bounded and stopped.
 */
const { spawn, execFileSync } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { ObservabilityModule, MetricsService, renderRegistry } = require('../dist');
const { populate } = require('./lib/series');
const { median } = require('./lib/stats');
const { runWrk: runWrkOn } = require('./lib/wrk');

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const secondsIndex = args.indexOf('--seconds');
const SECONDS = secondsIndex >= 0 ? Number(args[secondsIndex + 1]) : quick ? 2 : 5;
const SIZES = [10_000, 50_000];
const ROUNDS = quick ? 3 : 7;
// --part stalls | http: run one part only.
const partIndex = args.indexOf('--part');
const PART = partIndex >= 0 ? args[partIndex + 1] : 'all';
// --adapter express|fastify and --lines N: one adapter, one size (quick checks; the table takes both).
const option = (name) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
const ADAPTERS = option('--adapter') ? [option('--adapter')] : ['express', 'fastify'];
if (option('--lines')) SIZES.splice(0, SIZES.length, Number(option('--lines')));
const children = new Set();

// ---------------------------------------------------------------------------------------------
// Part 1: stalls and render time, in process
// ---------------------------------------------------------------------------------------------

/** Runs `fn` while a setImmediate chain measures the longest time the event loop was held. */
async function measureStall(fn) {
  let last = performance.now();
  let longest = 0;
  let running = true;
  const turn = () => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setImmediate(turn);
  };
  setImmediate(turn);
  const start = performance.now();
  await fn();
  const wall = performance.now() - start;
  running = false;
  // The last stretch of work before fn() resolved counts too.
  longest = Math.max(longest, performance.now() - last);
  return { wall, longest };
}

async function inProcess() {
  const rows = [];
  for (const lines of SIZES) {
    class BenchModule {}
    Reflect.decorate([Module({ imports: [ObservabilityModule.forRoot({ tracing: false, health: false, metrics: { defaultMetrics: false } })] })], BenchModule);
    const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
    const metrics = app.get(MetricsService);
    populate(metrics, lines);
    const variants = [
      // What /metrics does: the render as 64 KB UTF-8 pieces, each then one socket write.
      { label: 'module: /metrics render (default: 4 ms slices, duty cycle 0.25, 64 KB pieces)', run: () => metrics.renderPieces('prometheus') },
      { label: 'module: same slices, duty cycle 1 (no rest)', run: () => renderRegistry(metrics.registry, 'prometheus', {}, { dutyCycle: 1 }), alone: true },
      { label: 'module: same render in one go (sliceMs 0)', run: () => renderRegistry(metrics.registry, 'prometheus', {}, { sliceMs: 0 }) },
      { label: "prom-client's registry.metrics()", run: () => metrics.registry.metrics() },
    ];
    for (const v of variants) {
      const walls = [];
      const stalls = [];
      for (let r = 0; r < ROUNDS + 1; r++) {
        global.gc?.();
        const { wall, longest } = await measureStall(v.run);
        if (r === 0) continue; // warm-up
        walls.push(wall);
        stalls.push(longest);
      }
      // The same renderer as the row above, without the module's sharing: not measured again.
      const concurrent = v.alone ? { wall: NaN } : await measureStall(() => Promise.all(Array.from({ length: 10 }, v.run)));
      rows.push({ lines, label: v.label, wall: median(walls), stall: median(stalls), worstStall: Math.max(...stalls), ten: concurrent.wall });
    }
    await app.close();
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Part 2: request latency during back-to-back scrapes, over HTTP
// ---------------------------------------------------------------------------------------------

function startServer(adapter, lines) {
  const child = spawn('taskset', ['-c', '0', process.execPath, path.join(__dirname, 'scrape-server.js')], {
    env: { ...process.env, BENCH_ADAPTER: adapter, BENCH_SERIES: String(lines) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('scrape-server did not start within 30 s')), 30_000);
    child.once('message', (m) => (clearTimeout(timer), resolve(m)));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`scrape-server exited (${code})`))));
  });
  return {
    ready,
    async stop() {
      if (child.exitCode !== null) return;
      child.send('exit');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await new Promise((resolve) => child.once('exit', resolve));
      clearTimeout(timer);
    },
  };
}

function runWrk(port, seconds) {
  return runWrkOn(port, seconds, { children });
}

/** Fetches `path` back to back until stopped; resolves with the number of scrapes and their median time. */
function scrapeLoop(port, urlPath) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let running = true;
  const times = [];
  const once = () =>
    new Promise((resolve, reject) => {
      const start = performance.now();
      http
        .get({ host: '127.0.0.1', port, path: urlPath, agent }, (res) => {
          res.on('data', () => {});
          res.on('end', () => {
            times.push(performance.now() - start);
            resolve(res.statusCode);
          });
        })
        .on('error', reject);
    });
  const done = (async () => {
    while (running) {
      const status = await once();
      if (status !== 200) throw new Error(`${urlPath} answered ${status}`);
    }
    agent.destroy();
    return { scrapes: times.length, medianMs: times.length ? median(times) : NaN };
  })();
  return { stop: () => ((running = false), done) };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid) {
  try {
    const fields = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

async function overHttp() {
  // The scraper (this process) runs on wrk's core, not on the server's.
  try {
    execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
  } catch {}
  const rows = [];
  for (const adapter of ADAPTERS) {
    for (const lines of SIZES) {
      const server = startServer(adapter, lines);
      const { port, pid } = await server.ready;
      try {
        await runWrk(port, 2); // warm-up
        const runs = {};
        for (const scrape of [null, '/metrics', '/naive-metrics']) {
          const scraper = scrape ? scrapeLoop(port, scrape) : null;
          const cpuBefore = cpuSeconds(pid);
          const result = await runWrk(port, SECONDS);
          result.serverCpu = (cpuSeconds(pid) - cpuBefore) / SECONDS;
          const scrapes = scraper ? await scraper.stop() : null;
          runs[scrape ?? 'none'] = { ...result, scrapes };
        }
        rows.push({ adapter, lines, runs });
      } finally {
        await server.stop();
      }
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------

const f = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '');

async function main() {
  if (!global.gc) console.error('(run with --expose-gc for steadier render times)');
  if (PART !== 'http') {
    const stalls = await inProcess();
    console.log('\n### Longest event-loop stall during one render (in process, extra lines beside nothing else)\n');
    console.log('| lines | renderer | longest stall, median (ms) | worst (ms) | render wall (ms) | 10 concurrent renders (ms) |');
    console.log('|---:|---|---:|---:|---:|---:|');
    for (const r of stalls) console.log(`| ${r.lines} | ${r.label} | ${f(r.stall)} | ${f(r.worstStall)} | ${f(r.wall)} | ${f(r.ten)} |`);
  }
  if (PART === 'stalls') return;

  const latency = await overHttp();
  console.log(`\n### /hello under wrk -t1 -c50 for ${SECONDS} s, alone and during back-to-back scrapes\n`);
  console.log('| adapter | lines | scraping | req/s | p50 (ms) | p99 (ms) | p99 × alone | server CPU (cores) | scrapes | scrape median (ms) |');
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of latency) {
    const alone = r.runs.none;
    for (const [what, run] of Object.entries(r.runs)) {
      const label = what === 'none' ? 'nothing' : what === '/metrics' ? 'module /metrics' : 'naive registry.metrics()';
      console.log(
        `| ${r.adapter} | ${r.lines} | ${label} | ${f(run.rps, 0)} | ${f(run.p50)} | ${f(run.p99)} | ${f(run.p99 / alone.p99)} | ${f(run.serverCpu)} | ${run.scrapes?.scrapes ?? ''} | ${f(run.scrapes?.medianMs, 1)} |`,
      );
    }
  }
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const child of children) child.kill('SIGKILL');
  });
