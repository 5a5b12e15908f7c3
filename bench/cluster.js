'use strict';
/**
 * `metrics.cluster` cost (issue 11 §1), one table per part:
 *
 * 1. Scrape time: the median wall time of one GET /metrics at a time (as Prometheus scrapes) with
 *    BENCH_SERIES sample lines per worker (default 1,000), for one worker without `metrics.cluster`
 *    (the baseline), one worker with it, and 2, 4 and 8 `node:cluster` workers with it, all up at once
 *    and scraped in interleaved rounds. The target: 8 workers ≤ 3× one worker without it.
 * 2. The hot path: `wrk -t1 -c20` on GET /hello against one worker without and with `metrics.cluster`
 *    (the request path is the same code; this shows the periodic snapshot is not felt), interleaved rounds.
 *
 *   npm run bench:cluster [-- --quick]
 *
 * This script is the `node:cluster` primary (no library code runs in it). Needs wrk. Prints markdown;
 * every worker is stopped before it exits.
 */
const cluster = require('node:cluster');
const { execFile } = require('node:child_process');
const http = require('node:http');
const net = require('node:net');
const { mkdtempSync, rmSync } = require('node:fs');
const path = require('node:path');
const { median, mad, rotate } = require('./lib/stats');
const { defaultBase } = require('../dist/cluster/cluster-options.resolver');

const quick = process.argv.includes('--quick');
const SERIES = Number(process.env.BENCH_SERIES ?? 1000);
const SCRAPES = quick ? 10 : 40;
const WRK_SECONDS = quick ? 1 : 4;
const WRK_ROUNDS = quick ? 1 : 3;

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Forks `count` workers on one port (with `metrics.cluster` in a fresh directory, or without). */
async function startWorkers(count, withCluster, extraEnv = {}) {
  const port = await freePort();
  // Where `metrics.cluster` puts its directory by default (/dev/shm on Linux).
  const dir = withCluster ? mkdtempSync(path.join(defaultBase(), 'bench-cluster-')) : null;
  cluster.setupPrimary({ exec: path.join(__dirname, 'cluster-worker.js'), silent: false });
  const env = { BENCH_PORT: String(port), BENCH_SERIES: String(SERIES), ...(dir ? { BENCH_CLUSTER_DIR: dir } : {}), ...extraEnv };
  const workers = [];
  for (let i = 0; i < count; i++) {
    const worker = cluster.fork(env);
    workers.push(worker);
    // One at a time: they join the deployment in turn anyway, and booting 8 Nest apps at once on a
    // small machine only makes each slower.
    await new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
    });
  }
  return {
    port,
    workers,
    async stop() {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise((resolve) => {
              if (w.isDead()) return resolve();
              const timer = setTimeout(() => w.process.kill('SIGKILL'), 10_000);
              w.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              w.process.kill('SIGTERM');
            }),
        ),
      );
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function scrape(port) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    http
      .get({ host: '127.0.0.1', port, path: '/metrics', agent: false }, (res) => {
        let lines = 0;
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          for (let i = 0; i < chunk.length; i++) if (chunk.charCodeAt(i) === 10) lines++;
        });
        res.on('end', () => resolve({ ms: performance.now() - start, lines }));
      })
      .on('error', reject);
  });
}

/** CPU time (ms) a group's worker processes have used so far, from /proc (utime + stime, all threads). */
function cpuMs(group) {
  let ticks = 0;
  for (const w of group.workers) {
    try {
      const stat = require('node:fs').readFileSync(`/proc/${w.process.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      return NaN;
    }
  }
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

async function scrapeRounds(groups) {
  for (const g of groups) for (let i = 0; i < 3; i++) await scrape(g.port); // warm-up
  const cpuBefore = groups.map(cpuMs);
  const times = groups.map(() => []);
  const lines = groups.map(() => 0);
  // Interleaved: one scrape of every group per round, in a rotating order, so that the machine's
  // drift hits every group alike; ratios are taken per round.
  for (let round = 0; round < SCRAPES; round++) {
    for (const i of rotate(groups.map((_, j) => j), round)) {
      const r = await scrape(groups[i].port);
      times[i].push(r.ms);
      lines[i] = r.lines;
    }
  }
  const cpu = groups.map((g, i) => (cpuMs(g) - cpuBefore[i]) / SCRAPES);
  return { times, lines, cpu };
}

function wrk(port) {
  return new Promise((resolve, reject) => {
    execFile('wrk', ['-t1', '-c20', `-d${WRK_SECONDS}s`, `http://127.0.0.1:${port}/hello`], { timeout: (WRK_SECONDS + 20) * 1000, killSignal: 'SIGKILL' }, (error, stdout) => {
      if (error) return reject(error);
      resolve(Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)[1]));
    });
  });
}

async function scrapePart() {
  const variants = [
    { name: '1 worker, no `metrics.cluster` (baseline)', count: 1, withCluster: false },
    { name: '1 worker, `metrics.cluster: true`', count: 1, withCluster: true },
    { name: '2 workers', count: 2, withCluster: true },
    { name: '4 workers', count: 4, withCluster: true },
    { name: '8 workers', count: 8, withCluster: true },
  ];
  // Every group stays up for the whole part (idle groups cost nothing but memory).
  const groups = [];
  try {
    for (const v of variants) groups.push(await startWorkers(v.count, v.withCluster));
    const { times, lines, cpu } = await scrapeRounds(groups);
    console.log(`\n### Scrape time, ${SERIES} sample lines per worker, ${SCRAPES} interleaved rounds\n`);
    console.log("| Workers | Lines in the answer | Median scrape (ms) ± MAD | vs baseline (median of per-round ratios) | CPU per scrape, all the group's workers (ms) | vs baseline |");
    console.log('|---|---:|---:|---:|---:|---:|');
    variants.forEach((v, i) => {
      const ratios = times[i].map((t, r) => t / times[0][r]);
      console.log(`| ${v.name} | ${lines[i]} | ${median(times[i]).toFixed(1)} ± ${mad(times[i]).toFixed(1)} | ${median(ratios).toFixed(2)}× | ${cpu[i].toFixed(1)} | ${(cpu[i] / cpu[0]).toFixed(2)}× |`);
    });
  } finally {
    for (const g of groups) await g.stop();
  }
}

async function hotPathPart() {
  const results = { off: [], on: [] };
  const servers = { off: await startWorkers(1, false), on: await startWorkers(1, true) };
  try {
    for (let round = 0; round < WRK_ROUNDS; round++) {
      for (const key of rotate(['off', 'on'], round)) results[key].push(await wrk(servers[key].port));
    }
  } finally {
    await servers.off.stop();
    await servers.on.stop();
  }
  const ratios = results.on.map((v, i) => v / results.off[i]);
  console.log(`\n### Hot path: GET /hello, one worker, wrk -t1 -c20, ${WRK_ROUNDS} × ${WRK_SECONDS} s interleaved\n`);
  console.log('| Variant | Requests/s (median) ± MAD |');
  console.log('|---|---:|');
  console.log(`| no \`metrics.cluster\` | ${median(results.off).toFixed(0)} ± ${mad(results.off).toFixed(0)} |`);
  console.log(`| \`metrics.cluster: true\` | ${median(results.on).toFixed(0)} ± ${mad(results.on).toFixed(0)} |`);
  console.log(`\nwith / without, median of per-round ratios: ${median(ratios).toFixed(3)}×`);
}

/**
 * `--profile`: 8 workers with `metrics.cluster` and one without, each under the inspector's CPU profiler,
 * scraped in turn; then every worker's self time per scrape, by function, summed over the 8 (a scrape
 * runs on whichever worker node:cluster hands the connection to; the others answer as peers).
 */
async function profilePart() {
  const { top } = require('./lib/cpuprofile-top');
  const dir = mkdtempSync(path.join(require('node:os').tmpdir(), 'bench-cluster-prof-'));
  const groups = [];
  let window;
  try {
    groups.push(await startWorkers(1, false, { BENCH_PROFILE_DIR: path.join(dir, 'single') }));
    groups.push(await startWorkers(8, true, { BENCH_PROFILE_DIR: path.join(dir, 'eight') }));
    require('node:fs').mkdirSync(path.join(dir, 'single'));
    require('node:fs').mkdirSync(path.join(dir, 'eight'));
    const t0 = Number(process.hrtime.bigint() / 1000n);
    await scrapeRounds(groups);
    window = [t0, Number(process.hrtime.bigint() / 1000n)];
    for (const g of groups) {
      await Promise.all(g.workers.map((w) => new Promise((resolve) => {
        w.on('message', (m) => m?.profiled && resolve());
        w.send('write-profile');
      })));
    }
  } finally {
    for (const g of groups) await g.stop();
  }
  const scrapes = SCRAPES + 3;
  for (const [name, sub] of [['1 worker, no `metrics.cluster`', 'single'], ['8 workers', 'eight']]) {
    const sums = new Map();
    let total = 0;
    for (const file of require('node:fs').readdirSync(path.join(dir, sub))) {
      const { rows, total: t } = top(path.join(dir, sub, file), 10_000, process.argv.includes('--by-package'), window);
      total += t;
      for (const r of rows) {
        sums.set(r.name, (sums.get(r.name) ?? 0) + r.us);
        if (r.name === '(idle)') total -= r.us;
      }
    }
    console.log(`\n### ${name}: CPU self time per scrape (all workers), ${(total / scrapes / 1000).toFixed(2)} ms in all\n`);
    console.log('| Function | ms per scrape |');
    console.log('|---|---:|');
    for (const [fn, us] of [...sums].filter(([fn]) => fn !== '(idle)').sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`| ${fn.replace(/\|/g, '\\|')} | ${(us / scrapes / 1000).toFixed(3)} |`);
  }
  console.log(`\nprofiles in ${dir}`);
}

async function main() {
  if (process.argv.includes('--profile')) return profilePart();
  await scrapePart();
  await hotPathPart();
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
    process.exit(1);
  },
);
