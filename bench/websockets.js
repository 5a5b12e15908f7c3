'use strict';
/**
 * Cost of the WebSocket part on an echo gateway (issue 21 item 4, target ≥ 0.90× throughput, metrics
 * only): `bench/websocket-server.js` in a process of its own, bare and with
 * `ObservabilityModule.forRoot({ tracing: false })` (the duration histogram, the received and sent
 * counters, the open-connections gauge), on socket.io and on ws. `CLIENTS` clients each send `echo`,
 * await the reply and send again, for `SECONDS` s; throughput is replies per second. Configurations
 * alternate within each round (rotated order) and "× bare" is the median of per-round ratios.
 * The server is pinned to core 0 and this process, which runs the clients, to core 1 (taskset). The
 * server's CPU time per reply (its threads, /proc schedstat) is printed beside the throughput; a server
 * that is not saturated spends more CPU per reply when fewer replies arrive per wake-up.
 * Run: `npm run bench:websockets` (or `-- --quick`), best with `bash bench/lib/priority.sh`.
 */
const { fork, spawn, spawnSync } = require('node:child_process');
const { connectEchoClient } = require('./lib/echo-client');
const { median, roundOrder, medianRatio } = require('./lib/stats');
const { schedstat } = require('./lib/schedstat');

const quick = process.argv.includes('--quick');
const CLIENTS = 50;
const SECONDS = quick ? 1 : 3;
const ROUNDS = quick ? 1 : Number(process.env.BENCH_ROUNDS ?? 5);

// The server runs on core 0 and this process, the clients, on core 1 (as bench:http does with wrk), so that
// the two do not take turns on one core. Where taskset is missing, both run unpinned.
const PINNED = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
if (PINNED && process.env.BENCH_WS_CLIENTS_PINNED !== '1') {
  const self = spawnSync('taskset', ['-c', '1', process.execPath, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_WS_CLIENTS_PINNED: '1' },
  });
  process.exit(self.status ?? 1);
}

function boot(config, transport) {
  const env = { ...process.env, BENCH_CONFIG: config, BENCH_TRANSPORT: transport };
  const server = require.resolve('./websocket-server.js');
  const child = PINNED
    ? spawn('taskset', ['-c', '0', process.execPath, server], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    : fork(server, [], { env, stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('message', (port) => resolve({ child, port }));
    child.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
  });
}

/** Replies per second of `CLIENTS` clients echoing for `seconds`, and the server's CPU µs per reply. */
async function load(transport, port, seconds, pid) {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connectEchoClient(transport, port)));
  let replies = 0;
  const cpuBefore = schedstat(pid).run;
  const until = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    clients.map(async (client) => {
      while (performance.now() < until) {
        await client.send('hello');
        replies++;
      }
    }),
  );
  const rate = replies / ((performance.now() - start) / 1000);
  const cpuUs = (schedstat(pid).run - cpuBefore) / 1000 / replies;
  for (const client of clients) client.close();
  return { rate, cpuUs };
}

async function run(config, transport) {
  const { child, port } = await boot(config, transport);
  try {
    await load(transport, port, quick ? 0.5 : 1, child.pid); // warm-up
    return await load(transport, port, SECONDS, child.pid);
  } finally {
    child.disconnect();
    child.kill();
  }
}

async function main() {
  const transports = ['socket.io', 'ws'];
  const configs = ['bare', 'module', 'metrics'];
  const rates = {};
  const cpu = {};
  for (const t of transports) for (const c of configs) (rates[`${t} ${c}`] = []), (cpu[`${t} ${c}`] = []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const transport of roundOrder(transports, round)) {
      for (const config of roundOrder(configs, round)) {
        const { rate, cpuUs } = await run(config, transport);
        rates[`${transport} ${config}`].push(rate);
        cpu[`${transport} ${config}`].push(cpuUs);
      }
    }
  }
  console.log(`\nWebSocket echo gateway, ${CLIENTS} clients, ${SECONDS} s per run, ${ROUNDS} rounds (Node ${process.versions.node})\n`);
  console.log('| transport | configuration | replies/s (median) | × bare | server CPU µs per reply (median) | × bare CPU | target |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | --- |');
  const labels = { bare: 'bare', module: 'module, WebSocket part off (`websockets: false`)', metrics: 'metrics (`forRoot({ tracing: false })`)' };
  for (const t of transports) {
    for (const c of configs) {
      const ratio = c === 'bare' ? '1.000' : medianRatio(rates[`${t} ${c}`], rates[`${t} bare`]).toFixed(3);
      const cpuRatio = c === 'bare' ? '1.000' : medianRatio(cpu[`${t} ${c}`], cpu[`${t} bare`]).toFixed(3);
      const target = c === 'metrics' ? '≥ 0.90× throughput' : '';
      console.log(`| ${t} | ${labels[c]} | ${median(rates[`${t} ${c}`]).toFixed(0)} | ${ratio} | ${median(cpu[`${t} ${c}`]).toFixed(1)} | ${cpuRatio} | ${target} |`);
    }
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
