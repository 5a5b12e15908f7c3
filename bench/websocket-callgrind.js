'use strict';
/**
 * Instructions per WebSocket echo (issue 21 item 4), deterministic on a shared box: bench/websocket-server.js
 * runs under `valgrind --tool=callgrind` (V8 with `--single-threaded`), `CLIENTS` clients in this process
 * send `WARMUP` echoes, the counters are zeroed (`callgrind_control -z`), `ECHOES` more echoes are sent and
 * the counters dumped (`callgrind_control -d`). Prints instructions per echo for bare, module with the
 * WebSocket part off, and metrics, on socket.io and ws. Dumps stay in `OUT` for callgrind_annotate.
 * Run: `node_modules/.bin/node bench/websocket-callgrind.js [socket.io|ws] [bare|module|metrics]` (after `npm run build`).
 */
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { connectEchoClient } = require('./lib/echo-client');

const CLIENTS = 5;
const WARMUP = Number(process.env.CG_WARMUP ?? 1000);
const ECHOES = Number(process.env.CG_ECHOES ?? 2000);
const OUT = process.env.CG_OUT ?? '/tmp/ws-callgrind';

function boot(config, transport) {
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `callgrind.${transport}.${config}.out`);
  const env = { ...process.env, BENCH_CONFIG: config, BENCH_TRANSPORT: transport };
  const child = spawn('valgrind', ['--tool=callgrind', `--callgrind-out-file=${file}`, process.execPath, '--single-threaded', require.resolve('./websocket-server.js')], {
    env,
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  child.stderr.on('data', () => {});
  return new Promise((resolve, reject) => {
    child.once('message', (port) => resolve({ child, port, file }));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
}

async function echo(clients, count) {
  let left = count;
  await Promise.all(clients.map(async (client) => {
    while (left > 0) {
      left--;
      await client.send('hello');
    }
  }));
}

function totalOf(file) {
  // The dump of `-d` is `<file>.<n>`; its `summary:` (or `totals:`) line is the instruction count.
  const dumps = fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith(path.basename(file) + '.')).sort();
  const text = fs.readFileSync(path.join(path.dirname(file), dumps[dumps.length - 1]), 'utf8');
  return Number((text.match(/^summary: (\d+)/m) ?? text.match(/^totals: (\d+)/m))[1]);
}

async function run(transport, config) {
  const { child, port, file } = await boot(config, transport);
  for (const f of fs.readdirSync(OUT)) if (f.startsWith(path.basename(file) + '.')) fs.rmSync(path.join(OUT, f));
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connectEchoClient(transport, port)));
  await echo(clients, WARMUP);
  execFileSync('callgrind_control', ['-z', String(child.pid)], { timeout: 120000 });
  await echo(clients, ECHOES);
  execFileSync('callgrind_control', ['-d', String(child.pid)], { timeout: 120000 });
  for (const client of clients) client.close();
  child.kill();
  const total = totalOf(file);
  console.log(`| ${transport} | ${config} | ${total} | ${(total / ECHOES).toFixed(0)} |`);
  return total;
}

async function main() {
  const transports = process.argv[2] ? [process.argv[2]] : ['socket.io', 'ws'];
  const configs = process.argv[3] ? [process.argv[3]] : ['bare', 'module', 'metrics'];
  console.log(`| transport | configuration | instructions (${ECHOES} echoes after ${WARMUP}) | per echo |`);
  console.log('| --- | --- | ---: | ---: |');
  for (const t of transports) for (const c of configs) await run(t, c);
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
