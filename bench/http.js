'use strict';
/**
 * HTTP load: a Nest hello-world (`GET /hello` → controller → service, bench/http-server.js) under wrk,
 * bare, with ObservabilityModule in several configurations, and with the peer stacks users assemble
 * today from the real packages (bench/http-peers.js), on Express and Fastify.
 *
 *   npm run bench:http                          # builds dist/ first; ~7 minutes
 *   npm run bench:http -- --name before-fix     # raw numbers go to bench/results/http-before-fix.json
 *   npm run bench:http -- --quick               # 1 round, 1 s runs: checks the harness, not the numbers
 *   npm run bench:http -- --rounds 5 --duration 10 --warmup 3
 *   npm run bench:http -- --only express        # one adapter (or --only metrics,all100 for configs;
 *                                               # bare always runs)
 *   BENCH_OTEL_PRELOAD=0 npm run bench:http -- --only otel   # the sdk-node peer without the CommonJS
 *                                               # require('express') that lets its express
 *                                               # instrumentation see Nest 12's express
 *   npm run bench:http -- --from NAME --redo-round 2   # re-run round 2 of http-NAME.json (a disturbed
 *                                               # figure) with its settings, keep its other runs,
 *                                               # write http-NAME-redo.json; the table says so
 *   npm run bench:http -- --from NAME           # print the tables of http-NAME.json again (no run)
 *   npm run bench:http -- --faults --only all100   # also 30 s runs with a Collector refusing, hanging, answering 503
 *   npm run bench:http -- --decorated           # HelloService.hello() also @Traced() / @Counted() @Timed()
 *   npm run bench:http -- --profile all100:express   # bare and all100 with --cpu-prof on the server: self
 *                                                      # time per request by package and function, side by
 *                                                      # side (profiles in bench/results/profiles/)
 *   npm run bench:http -- --profile all10:express --profile-base all10none   # the same against another configuration
 *
 * Each run boots the configuration in a fresh child process pinned to core 0 (`taskset -c 0`), waits
 * for it to listen, runs `taskset -c 1 wrk -t1 -c50` for the warm-up then for the measurement, reads
 * the server's VmRSS from /proc, asks it to flush the SDK and report its span counters, and stops it.
 * The OTLP sink (bench/http-sink.js, counts the spans it receives, by instrumentation scope, kind and
 * name) runs on core 1 next to wrk.
 * Also reported: the server's CPU time per request (/proc schedstat), which a busy neighbour disturbs
 * much less than req/s, and (in the JSON and the progress lines) the time its threads waited runnable
 * for core 0 (other processes, but also its own GC helper threads, which share the pinned core).
 * Rounds are interleaved (adapter blocks alternate, configurations rotate and reverse each round);
 * ratios to bare are taken per round, within the adapter block, then their median.
 *
 * Needs wrk (`apt-get install -y wrk`) and taskset (util-linux). Every child is bounded in time and
 * killed on exit.
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median, mad, rotate } = require('./lib/stats');
const { runWrk: runWrkOn } = require('./lib/wrk');
const { schedstat } = require('./lib/schedstat');

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
// --from NAME --redo-round N[,M]: re-run those rounds (1-based) of bench/results/http-NAME.json, with
// its settings, keep its other runs, and write http-NAME-redo.json (or --name). --from NAME alone
// prints the tables of that file again (no run, nothing written).
const from = option('--from', null);
const previous = from ? JSON.parse(fs.readFileSync(path.join(__dirname, 'results', `http-${from}.json`), 'utf8')) : null;
const redoRounds = (option('--redo-round', '') || '').split(',').filter(Boolean).map((n) => Number(n) - 1);
const reprint = previous && redoRounds.length === 0;
const quick = previous ? previous.quick : flag('--quick');
const decorated = previous ? previous.decorated : flag('--decorated');
const ROUNDS = previous ? previous.rounds : Number(option('--rounds', quick ? 1 : 3));
const DURATION = previous ? previous.duration : Number(option('--duration', quick ? 1 : 5));
const WARMUP = previous ? previous.warmup : Number(option('--warmup', quick ? 1 : 2));
const CONNECTIONS = 50;
const name = option('--name', from ? `${from}-redo` : new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19));
const profile = option('--profile', null);

const CONFIGS = [
  { id: 'bare', label: 'bare Nest (no ObservabilityModule)', short: 'bare Nest' },
  { id: 'metrics', label: 'ours, metrics only (`tracing: false`)', short: 'ours, metrics only', targets: { minRps: 0.9, maxP99: 1.15 } },
  { id: 'tracing', label: 'ours, tracing only (`metrics: false`), 100% sampled, OTLP', short: 'ours, tracing only, 100 %' },
  { id: 'all100', label: 'ours, all on, 100% sampled, OTLP (encoded path, worker thread)', short: 'ours, all on, 100 %', targets: { minRps: 0.75, maxP99: 2.0, maxRss: 1.3 } },
  { id: 'all10', label: 'ours, all on, 10% sampled, OTLP (encoded path, worker thread)', short: 'ours, all on, 10 %', targets: { minRps: 0.88 } },
  { id: 'sdk100', label: "ours, all on, 100% sampled, OTLP on the SDK's path (`spanExport: 'sdk'`: BatchSpanProcessor + OTLP exporter)", short: "ours, all on, 100 %, SDK's path" },
  { id: 'sdk10', label: "ours, all on, 10% sampled, OTLP on the SDK's path (`spanExport: 'sdk'`)", short: "ours, all on, 10 %, SDK's path" },
  // A failing Collector for 30 s of load (only with --faults or --only naming them): req/s against all100 of the same round.
  { id: 'refused', label: 'ours, all on, 100%, Collector refusing connections', short: 'all on, 100 %, Collector refusing', fault: true, targets: { minHealthy: 0.9 } },
  { id: 'hang', label: 'ours, all on, 100%, Collector never answering', short: 'all on, 100 %, Collector hanging', fault: true, targets: { minHealthy: 0.9 } },
  { id: 'err503', label: 'ours, all on, 100%, Collector answering 503', short: 'all on, 100 %, Collector 503', fault: true, targets: { minHealthy: 0.9 } },
  // A/B diagnostics, run only when --only names them.
  { id: 'all0', label: 'ours, all on, 0% sampled', short: 'all on, 0 %', diag: true },
  { id: 'all10none', label: "ours, all on, 10% sampled, exporter 'none'", short: 'all on, 10 %, no export', diag: true },
  { id: 'all100none', label: "ours, all on, 100% sampled, exporter 'none'", short: 'all on, 100 %, no export', diag: true },
  { id: 'trace10', label: 'ours, tracing only, 10% sampled, OTLP', short: 'tracing only, 10 %', diag: true },
  { id: 'all10noex', label: 'ours, all on, 10% sampled, no exemplars', short: 'all on, 10 %, no exemplars', diag: true },
  { id: 'prom', label: 'peer: @willsoto/nestjs-prometheus + global interceptor recording a histogram', short: 'peer: nestjs-prometheus + interceptor', peer: true },
  {
    id: 'otel',
    label: 'peer: sdk-node + http, express (Express only), nestjs-core instrumentations + nestjs-otel @Span(), 100% sampled, OTLP',
    short: 'peer: sdk-node + auto-instrumentations + nestjs-otel, 100 %',
    peer: true,
  },
  { id: 'peers', label: 'peer: both of the above + @nestjs/terminus', short: 'peer: both + Terminus', peer: true },
];
const ADAPTERS = ['express', 'fastify'];

const only = option('--only', null)?.split(',');
const adapters = only && only.some((o) => ADAPTERS.includes(o)) ? ADAPTERS.filter((a) => only.includes(a)) : ADAPTERS;
const faults = flag('--faults');
const configs = only && only.some((o) => CONFIGS.some((c) => c.id === o))
  ? CONFIGS.filter((c) => c.id === 'bare' || only.includes(c.id) || (faults && (c.fault || c.id === 'all100')))
  : CONFIGS.filter((c) => (!c.fault || faults) && !c.diag);
const FAULT_SECONDS = 30;

// ---------------------------------------------------------------------------------------------
// Child processes, each bounded in time and killed when this process exits.
// ---------------------------------------------------------------------------------------------

const children = new Set();
function killAll() {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {}
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Spawns `taskset -c CORE node [flags] script` with an IPC channel; resolves with the first message. */
function startNode(core, script, env, nodeFlags = []) {
  const child = spawn('taskset', ['-c', String(core), process.execPath, ...nodeFlags, path.join(__dirname, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 20000) stderr = stderr.slice(-20000);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => {
    children.delete(child);
    resolve({ code, signal });
  }));
  const ready = new Promise((resolve, reject) => {
    child.once('message', resolve);
    exited.then(({ code, signal }) => reject(new Error(`${script} exited (${code ?? signal}) before it was ready:\n${stderr}`)));
  });
  return {
    child,
    exited,
    stderr: () => stderr,
    ready: withTimeout(ready, 30_000, `${script} start`),
    ask(message, ms = 15_000) {
      return withTimeout(new Promise((resolve) => {
        child.once('message', resolve);
        child.send(message);
      }), ms, `${script} ${message}`);
    },
    async stop(ms = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        child.send('exit');
      } catch {}
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      await exited;
      clearTimeout(timer);
    },
  };
}

function runWrk(port, seconds, latency) {
  return runWrkOn(port, seconds, { latency, connections: CONNECTIONS, children });
}

function vmRss(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return kb * 1024;
}

/** `after - before` for two `{ key: count }` maps, keeping the keys that changed. */
function diffCounts(after = {}, before = {}) {
  const out = {};
  for (const [key, n] of Object.entries(after)) if (n - (before[key] ?? 0)) out[key] = n - (before[key] ?? 0);
  return out;
}

// ---------------------------------------------------------------------------------------------
// One run: boot, warm up, measure, read RSS, flush and read the span counters, stop.
// ---------------------------------------------------------------------------------------------

/** Where a configuration's spans go: the sink, or a failing Collector (a closed port, the sink's /hang/ or /503/). */
async function tracesEndpoint(sink, config) {
  if (config.id === 'hang' || config.id === 'err503') return `http://127.0.0.1:${sink.port}/${config.id === 'hang' ? 'hang' : '503'}/v1/traces`;
  if (config.id !== 'refused') return `http://127.0.0.1:${sink.port}/v1/traces`;
  const probe = require('node:net').createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return `http://127.0.0.1:${port}/v1/traces`;
}

async function runOne(sink, adapter, config, nodeFlags = []) {
  const sinkBefore = (await sink.ask('stats')).stats;
  const duration = config.fault && !quick ? FAULT_SECONDS : DURATION;
  const server = startNode(
    0,
    'http-server.js',
    {
      BENCH_CONFIG: config.id,
      BENCH_ADAPTER: adapter,
      BENCH_DECORATED: decorated ? '1' : '',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}`,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: await tracesEndpoint(sink, config),
      OTEL_SERVICE_NAME: 'bench-hello',
    },
    ['--expose-gc', ...nodeFlags],
  );
  try {
    const { port, pid } = await server.ready;
    const idleRss = vmRss(pid);
    const warm = await runWrk(port, WARMUP, false);
    await server.ask('mark');
    const before = schedstat(pid);
    const t0 = process.hrtime.bigint();
    const load = await runWrk(port, duration, true);
    const t1 = process.hrtime.bigint();
    const wall = Number(t1 - t0);
    const after = schedstat(pid);
    const rss = vmRss(pid);
    const { stats, memory, spaces, liveHeap, gc } = await server.ask('stats', 60_000);
    // Let the last export's answer reach the sink's counters (they are read over IPC, not HTTP).
    const sinkAfter = (await sink.ask('stats')).stats;
    await server.stop();
    return {
      adapter,
      config: config.id,
      ...load,
      warmupRequests: warm.requests,
      errors: warm.non2xx + warm.socketErrors + load.non2xx + load.socketErrors,
      rss,
      idleRss,
      cpuUsPerRequest: (after.run - before.run) / 1000 / load.requests,
      otherThreadsUsPerRequest: (after.run - after.main - (before.run - before.main)) / 1000 / load.requests,
      threadsUsPerRequest: Object.fromEntries(Object.entries(after.byName).map(([k, v]) => [k, Math.round(((v - (before.byName[k] ?? 0)) / 1000 / load.requests) * 100) / 100])),
      cpuShare: (after.run - before.run) / wall,
      waitShare: (after.wait - before.wait) / wall,
      heapUsed: memory.heapUsed,
      memory, // process.memoryUsage() after the load, before the flush
      heapSpacesMB: spaces, // V8 heap space sizes after the load
      liveHeap, // after the flush and a full GC
      gc, // the main thread's GC pauses during the measured load, by kind: count, ms, max ms
      windowUs: [Number(t0 / 1000n), Number(t1 / 1000n)], // monotonic clock, as in a .cpuprofile
      spans: stats,
      sinkSpans: sinkAfter.spans - sinkBefore.spans,
      sinkByKey: diffCounts(sinkAfter.byKey, sinkBefore.byKey), // 'scope|KIND|name' → spans received
      sinkRequests: sinkAfter.requests - sinkBefore.requests,
      sinkBadBodies: sinkAfter.badBodies - sinkBefore.badBodies,
    };
  } catch (error) {
    await server.stop(2000);
    throw new Error(`${adapter}/${config.id}: ${error.message}\n${server.stderr()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Summary and tables.
// ---------------------------------------------------------------------------------------------

function summarize(runs) {
  const out = [];
  for (const adapter of adapters) {
    const bare = runs.filter((r) => r.adapter === adapter && r.config === 'bare');
    const bareByRound = new Map(bare.map((r) => [r.round, r]));
    const healthyByRound = new Map(runs.filter((r) => r.adapter === adapter && r.config === 'all100').map((r) => [r.round, r]));
    for (const config of configs) {
      const rs = runs.filter((r) => r.adapter === adapter && r.config === config.id);
      if (rs.length === 0) continue;
      const ratio = (key) => median(rs.filter((r) => bareByRound.has(r.round)).map((r) => r[key] / bareByRound.get(r.round)[key]));
      const sum = (f) => rs.reduce((a, r) => a + f(r), 0);
      const withSpans = rs.filter((r) => r.spans);
      const spans = withSpans.length
        ? {
            ended: sum((r) => r.spans?.ended ?? 0),
            exported: sum((r) => r.spans?.exported ?? 0),
            failed: sum((r) => r.spans?.failed ?? 0),
            dropped: sum((r) => r.spans?.dropped ?? 0),
            pending: sum((r) => r.spans?.pending ?? 0),
            received: sum((r) => r.sinkSpans),
            requests: sum((r) => r.requests + r.warmupRequests),
          }
        : null;
      if (spans) {
        // Silent loss: a sampled span that ended and is neither exported, failed nor dropped (after a
        // flush), or an export the SDK counted that the sink did not receive. The peer stack's SDK
        // counts no drop anywhere: its `dropped` (ended − exported − failed, taken by the bench) is
        // silent loss too.
        spans.silentlyLost = spans.ended - spans.exported - spans.failed - (config.peer ? 0 : spans.dropped) + (spans.exported - spans.received);
        // Spans received per request, by instrumentation scope, kind and name (warm-up included).
        const byKey = {};
        for (const r of rs) for (const [key, n] of Object.entries(r.sinkByKey ?? {})) byKey[key] = (byKey[key] ?? 0) + n;
        spans.perRequest = Object.fromEntries(Object.entries(byKey).map(([key, n]) => [key, n / spans.requests]));
      }
      const s = {
        adapter,
        config: config.id,
        label: config.label,
        short: config.short,
        peer: !!config.peer,
        targets: config.targets,
        runs: rs.length,
        rps: median(rs.map((r) => r.rps)),
        rpsMad: mad(rs.map((r) => r.rps)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        rss: median(rs.map((r) => r.rss)),
        idleRss: median(rs.map((r) => r.idleRss)),
        liveHeap: median(rs.map((r) => r.liveHeap)),
        cpuUs: median(rs.map((r) => r.cpuUsPerRequest)),
        otherUs: median(rs.map((r) => r.otherThreadsUsPerRequest)),
        waitShare: median(rs.map((r) => r.waitShare)),
        cpuShare: median(rs.map((r) => r.cpuShare)),
        maxWaitShare: Math.max(...rs.map((r) => r.waitShare)),
        rpsRatio: ratio('rps'),
        p50Ratio: ratio('p50'),
        p99Ratio: ratio('p99'),
        rssRatio: ratio('rss'),
        idleRssRatio: ratio('idleRss'),
        cpuRatio: ratio('cpuUsPerRequest'),
        // A failing Collector's runs against the healthy all100 run of the same round.
        healthyRatio: median(rs.filter((r) => healthyByRound.has(r.round)).map((r) => r.rps / healthyByRound.get(r.round).rps)),
        errors: sum((r) => r.errors),
        spans,
      };
      s.checks = checks(s);
      out.push(s);
    }
  }
  return out;
}

function checks(s) {
  const t = s.targets ?? {};
  const list = [];
  if (t.minRps !== undefined) list.push({ what: `req/s ≥ ${t.minRps}×`, met: s.rpsRatio >= t.minRps });
  if (t.maxP99 !== undefined) list.push({ what: `p99 ≤ ${t.maxP99}×`, met: s.p99Ratio <= t.maxP99 });
  if (t.maxRss !== undefined) list.push({ what: `RSS ≤ ${t.maxRss}×`, met: s.rssRatio <= t.maxRss });
  if (t.minHealthy !== undefined) list.push({ what: `req/s ≥ ${t.minHealthy}× healthy (${f(s.healthyRatio, 2)}×)`, met: s.healthyRatio >= t.minHealthy });
  if (s.spans && !s.peer) list.push({ what: 'no silent span loss', met: s.spans.silentlyLost === 0 });
  if (s.spans && s.peer && s.spans.exported !== s.spans.received) list.push({ what: 'sink received every exported span', met: false });
  if (s.errors) list.push({ what: 'no HTTP errors', met: false });
  return list;
}

const f = (n, d = 0) => (n === undefined || Number.isNaN(n) ? '' : n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }));

function table(summary, adapter) {
  const lines = [
    '| Configuration | req/s | ± MAD | × bare | p50 ms | × bare | p99 ms | × bare | server CPU µs/req | × bare | of which other threads | server busy | RSS MB after load (idle) | × bare (idle) | spans ended / exported / dropped / failed (received) | Targets |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const s of summary.filter((x) => x.adapter === adapter)) {
    const sp = s.spans ? `${f(s.spans.ended)} / ${f(s.spans.exported)} / ${f(s.spans.dropped)} / ${f(s.spans.failed)} (${f(s.spans.received)})` : '';
    const targets = s.checks.map((c) => `${c.what}: ${c.met ? 'yes' : '**no**'}`).join('; ');
    lines.push(
      `| ${s.label} | ${f(s.rps)} | ${f(s.rpsMad)} | ${f(s.rpsRatio, 2)} | ${f(s.p50, 2)} | ${f(s.p50Ratio, 2)} | ${f(s.p99, 2)} | ${f(s.p99Ratio, 2)} | ${f(s.cpuUs, 1)} | ${f(s.cpuRatio, 2)} | ${f(s.otherUs, 1)} | ${f(s.cpuShare * 100)}% | ${f(s.rss / 2 ** 20, 0)} (${f(s.idleRss / 2 ** 20, 0)}) | ${f(s.rssRatio, 2)} (${f(s.idleRssRatio, 2)}) | ${sp} | ${targets} |`,
    );
  }
  return lines.join('\n');
}

/** One row per configuration, Express and Fastify side by side: req/s, p99 and RSS × bare, spans dropped. */
function summaryTable(summary) {
  const cell = (s) => {
    if (!s) return ['', '', '', ''];
    const t = s.targets ?? {};
    const mark = (text, missed) => (missed ? `**${text}**` : text);
    const rps = t.minHealthy !== undefined
      ? mark(`${f(s.rpsRatio, 2)} (${f(s.healthyRatio, 2)}× healthy)`, !(s.healthyRatio >= t.minHealthy))
      : mark(`${f(s.rpsRatio, 2)}`, t.minRps !== undefined && !(s.rpsRatio >= t.minRps));
    const p99 = mark(`${f(s.p99Ratio, 2)}`, t.maxP99 !== undefined && !(s.p99Ratio <= t.maxP99));
    const rss = mark(`${f(s.rssRatio, 2)}`, t.maxRss !== undefined && !(s.rssRatio <= t.maxRss));
    let dropped = '';
    if (s.spans) {
      const lost = s.peer ? s.spans.dropped : s.spans.silentlyLost;
      const counted = s.peer ? 0 : s.spans.dropped;
      const pct = (n) => (s.spans.ended ? ` (${f((100 * n) / s.spans.ended, 1)} %)` : '');
      dropped = lost ? `**${f(lost)}${pct(lost)}, silently**` : '0';
      if (counted) dropped += `; ${f(counted)}${pct(counted)} counted`;
    }
    return [rps, p99, rss, dropped];
  };
  const targetText = (t = {}) =>
    [t.minRps !== undefined && `req/s ≥ ${t.minRps}×`, t.minHealthy !== undefined && `req/s ≥ ${t.minHealthy}× all on 100 % healthy`, t.maxP99 !== undefined && `p99 ≤ ${t.maxP99}×`, t.maxRss !== undefined && `RSS ≤ ${t.maxRss}×`].filter(Boolean).join(', ');
  const head = adapters.map((a) => `${a[0].toUpperCase()}${a.slice(1)}`);
  const lines = [
    `| Configuration | ${head.map((a) => `${a} req/s | p99 | RSS | spans dropped`).join(' | ')} | Target |`,
    `|---|${head.map(() => '---:|---:|---:|---').join('|')}|---|`,
  ];
  for (const config of configs) {
    const cells = adapters.flatMap((adapter) => cell(summary.find((x) => x.adapter === adapter && x.config === config.id)));
    if (config.id === 'bare') {
      const bare = adapters.map((adapter) => summary.find((x) => x.adapter === adapter && x.config === 'bare'));
      lines.push(`| ${config.short} | ${bare.map((b) => (b ? `${f(b.rps)} req/s | ${f(b.p99, 2)} ms | ${f(b.rss / 2 ** 20)} MB | ` : ' | | | ')).join(' | ')} |  |`);
      continue;
    }
    lines.push(`| ${config.short} | ${cells.join(' | ')} | ${targetText(config.targets)} |`);
  }
  return lines.join('\n');
}

/** Spans received per request, by `scope KIND name`, per configuration and adapter. */
function spansTable(summary) {
  const lines = ['| Configuration | Adapter | Spans per request (scope: KIND name) |', '|---|---|---|'];
  for (const s of summary) {
    if (!s.spans) continue;
    const parts = Object.entries(s.spans.perRequest ?? {})
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([key, n]) => {
        const [scope, kind, name] = key.split('|');
        return `${scope}: ${kind} \`${name}\` ${f(n, 2)}`;
      });
    const total = Object.values(s.spans.perRequest ?? {}).reduce((a, n) => a + n, 0);
    lines.push(`| ${s.short} | ${s.adapter} | ${f(total, 2)} = ${parts.join('; ') || 'none'} |`);
  }
  return lines.join('\n');
}

function machine() {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const version = (pkg) => {
    try {
      return JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'node_modules', pkg, 'package.json'), 'utf8')).version;
    } catch {
      return '?';
    }
  };
  return {
    nproc: os.availableParallelism?.() ?? os.cpus().length,
    cpu: model,
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    nest: version('@nestjs/core'),
    express: version('express'),
    fastify: version('fastify'),
    otelSdk: version('@opentelemetry/sdk-node'),
    platform: `${os.platform()} ${os.release()}`,
  };
}

// ---------------------------------------------------------------------------------------------

/**
 * Runs bare and CONFIG on ADAPTER with `node --cpu-prof` on the server, and prints the self time per
 * request spent in each package and in the top functions, during the measured load only, next to bare's.
 */
async function profileOne(sink, spec) {
  const [configId, adapter = 'express'] = spec.split(':');
  const config = CONFIGS.find((c) => c.id === configId);
  if (!config || !ADAPTERS.includes(adapter)) throw new Error(`--profile CONFIG:ADAPTER, e.g. all100:express (got ${spec})`);
  const dir = path.join(__dirname, 'results', 'profiles');
  fs.mkdirSync(dir, { recursive: true });
  const { selfTime } = require('./lib/cpuprofile-top');
  const results = [];
  // --profile-base ID: compare with another configuration than bare (an A/B of one switch).
  const base = CONFIGS.find((c) => c.id === option('--profile-base', 'bare'));
  if (!base) throw new Error(`--profile-base: unknown configuration ${option('--profile-base')}`);
  for (const c of [base, config]) {
    const file = path.join(dir, `${adapter}-${c.id}-${Date.now()}.cpuprofile`);
    const run = await runOne(sink, adapter, c, ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${path.basename(file)}`]);
    const per = (byPackage) => {
      const { total, sums } = selfTime(file, { byPackage, window: run.windowUs });
      return { total: total / run.requests, sums: new Map([...sums].map(([k, us]) => [k, us / run.requests])) };
    };
    results.push({ config: c, run, file, packages: per(true), functions: per(false) });
    process.stdout.write(`${adapter}/${c.id} under --cpu-prof: ${f(run.rps)} req/s, p99 ${f(run.p99, 2)} ms, server CPU ${f(run.cpuUsPerRequest, 1)} µs/req (profiling slows it down)\n`);
  }
  const [bare, conf] = results;
  const show = (title, key, n) => {
    process.stdout.write(`\n${title}: self time per request during the measured load, µs (${bare.config.id} → ${conf.config.id})\n`);
    const names = new Set([...conf[key].sums.keys(), ...bare[key].sums.keys()]);
    const rows = [...names]
      .map((name) => ({ name, a: bare[key].sums.get(name) ?? 0, b: conf[key].sums.get(name) ?? 0 }))
      .sort((x, y) => (key === 'packages' ? y.b - x.b : y.b - y.a - (x.b - x.a)))
      .slice(0, n);
    process.stdout.write(`${bare.config.id.padStart(7)} ${conf.config.id.padStart(7)} ${'delta'.padStart(7)}\n`);
    for (const r of rows) process.stdout.write(`${r.a.toFixed(2).padStart(7)} ${r.b.toFixed(2).padStart(7)} ${(r.b - r.a >= 0 ? '+' : '') + (r.b - r.a).toFixed(2).padStart(6)}  ${r.name}\n`);
    process.stdout.write(`${bare[key].total.toFixed(2).padStart(7)} ${conf[key].total.toFixed(2).padStart(7)} ${(conf[key].total - bare[key].total >= 0 ? '+' : '') + (conf[key].total - bare[key].total).toFixed(2).padStart(6)}  total sampled (idle included)\n`);
  };
  show('by package', 'packages', 20);
  show('functions with the largest increase', 'functions', 30);
  process.stdout.write(`\nprofiles: ${results.map((r) => path.relative(process.cwd(), r.file)).join(', ')}\n`);
}

async function main() {
  const started = Date.now();
  const info = previous?.machine ?? machine();
  const sink = startNode(1, 'http-sink.js', {});
  sink.port = (await sink.ready).port;
  try {
    if (profile) return await profileOne(sink, profile);
    const rounds = previous ? redoRounds : [...Array(ROUNDS).keys()];
    const runs = previous ? previous.runs.filter((r) => !redoRounds.includes(r.round) && adapters.includes(r.adapter) && configs.some((c) => c.id === r.config)) : [];
    const kept = runs.length;
    const total = kept + rounds.length * adapters.length * configs.length;
    if (!reprint) process.stderr.write(
      `HTTP bench on ${info.nproc}× ${info.cpu}, node ${info.node}: ${total} runs of ${WARMUP} s warm-up + ${DURATION} s, wrk -t1 -c${CONNECTIONS}${decorated ? ', decorated service' : ''}\n`,
    );
    for (const round of rounds) {
      const adapterOrder = round % 2 ? [...adapters].reverse() : adapters;
      for (const adapter of adapterOrder) {
        let order = rotate(configs, round);
        if (round % 2) order = order.reverse();
        for (const config of order) {
          let run;
          try {
            run = await runOne(sink, adapter, config);
          } catch (error) {
            // A shared checkout may be rebuilding dist/ right now: retry once, after a pause.
            process.stderr.write(`  ${adapter}/${config.id} failed, retrying once: ${error.message.split('\n')[0]}\n`);
            await new Promise((resolve) => setTimeout(resolve, 3000));
            run = await runOne(sink, adapter, config);
          }
          run.round = round;
          runs.push(run);
          process.stderr.write(
            `  [${runs.length}/${total}] round ${round + 1} ${adapter.padEnd(7)} ${config.id.padEnd(7)} ${f(run.rps).padStart(7)} req/s  p50 ${f(run.p50, 2)} ms  p99 ${f(run.p99, 2)} ms  CPU ${f(run.cpuUsPerRequest, 1)} µs/req  busy ${f(run.cpuShare * 100)}%  wait ${f(run.waitShare * 100)}%  RSS ${f(run.rss / 2 ** 20)} MB (idle ${f(run.idleRss / 2 ** 20)})` +
              (run.spans ? `  spans ${run.spans.ended}/${run.spans.exported}/${run.spans.dropped}/${run.spans.failed} sink ${run.sinkSpans}` : '') +
              (run.errors ? `  ERRORS ${run.errors}` : '') +
              `  gc ${Object.entries(run.gc ?? {}).map(([k, v]) => `${k} ${v.count}×/${Math.round(v.ms)}ms`).join(' ')}` +
              `  threads µs/req ${Object.entries(run.threadsUsPerRequest).filter(([, v]) => v >= 0.05).map(([k, v]) => `${k} ${v}`).join(', ')}` +
              '\n',
          );
        }
      }
    }
    runs.sort((a, b) => a.round - b.round);
    const seconds = reprint ? previous.seconds : (Date.now() - started) / 1000 + (previous?.seconds ?? 0);
    const firstStarted = previous ? Date.parse(previous.date) : started;
    const redone = [...(previous?.redone ?? []), ...(previous && !reprint ? [{ rounds: redoRounds.map((r) => r + 1), date: new Date(started).toISOString() }] : [])];
    const summary = summarize(runs);
    const md = [
      `Machine: ${info.nproc} CPUs, ${info.cpu}, ${info.memGiB} GiB, ${info.platform}; Node ${info.node}, @nestjs/core ${info.nest}, express ${info.express}, fastify ${info.fastify}, @opentelemetry/sdk-node ${info.otelSdk}. ` +
        `Run: ${new Date(firstStarted).toISOString()}, ${seconds.toFixed(0)} s${quick ? ', --quick' : ''}${decorated ? ', --decorated' : ''}` +
        redone.map((r) => `; round ${r.rounds.join(', ')} re-run at ${r.date} (\`--from ... --redo-round\`)`).join('') +
        '.',
      '',
      `Server pinned to core 0, wrk (\`-t1 -c${CONNECTIONS}\`) and the OTLP sink to core 1; ${WARMUP} s warm-up + ${DURATION} s measured per run, ` +
        `${ROUNDS} interleaved rounds, fresh process per run; medians; "× bare" = median of per-round ratios.`,
      '',
      '**Summary** (× bare; **bold** = target missed; spans dropped = sampled spans that ended and were not exported, summed over the rounds)',
      '',
      summaryTable(summary),
      '',
      '**Spans received per request**, by instrumentation scope, kind and name (counted by the sink)',
      '',
      spansTable(summary),
      '',
      `"server CPU µs/req" = CPU time of the server's threads during the measured ${DURATION} s / requests (from /proc schedstat; less sensitive to a busy neighbour than req/s); "of which other threads" = the part not on the JS thread (V8's GC helpers, libuv's pool), which the profiles do not show; ` +
        '"server busy" = that CPU time / wall time (below ~95%, wrk rather than the server limits req/s). ' +
        'RSS = VmRSS of the server right after the load (in brackets: after boot, before any request). Spans: sums over the rounds (warm-up included), after a flush; "received" = counted by the sink.',
      ...adapters.flatMap((adapter) => ['', `**${adapter[0].toUpperCase()}${adapter.slice(1)}**`, '', table(summary, adapter)]),
    ].join('\n');
    process.stdout.write(md + '\n');
    if (reprint) return;
    const dir = path.join(__dirname, 'results');
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `http-${name}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify({ name, date: new Date(firstStarted).toISOString(), seconds, redone, quick, decorated, rounds: ROUNDS, duration: DURATION, warmup: WARMUP, connections: CONNECTIONS, machine: info, summary, runs, markdown: md }, null, 2) + '\n',
    );
    process.stderr.write(`\nwrote ${path.relative(process.cwd(), file)}\n`);
  } finally {
    await sink.stop(2000);
  }
}

main().catch((error) => {
  console.error(error);
  killAll();
  process.exit(1);
});
