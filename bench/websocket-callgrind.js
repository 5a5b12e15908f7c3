'use strict';
/**
 * Instructions per WebSocket echo (issue 21 item 4), deterministic on a shared box: bench/websocket-server.js
 * runs under `valgrind --tool=callgrind` (V8 with `--single-threaded`), `CLIENTS` clients in this process
 * send `WARMUP` echoes, the counters are zeroed (`callgrind_control -z`), `ECHOES` more echoes are sent and
 * the counters dumped (`callgrind_control -d`). Prints instructions per echo for bare, module with the
 * WebSocket part off, and metrics, on socket.io and ws. Dumps stay in `OUT` for callgrind_annotate.
 * Run: `node_modules/.bin/node bench/websocket-callgrind.js [socket.io|ws] [bare|module|metrics]` (after `npm run build`).
 */
const path = require('node:path');
const { connectEchoClient } = require('./lib/echo-client');
const { bootUnderCallgrind, zeroCounters, dumpCounters } = require('./lib/callgrind');

const CLIENTS = 5;
const WARMUP = Number(process.env.CG_WARMUP ?? 1000);
const ECHOES = Number(process.env.CG_ECHOES ?? 2000);
const OUT = process.env.CG_OUT ?? '/tmp/ws-callgrind';

async function echo(clients, count) {
  let left = count;
  await Promise.all(clients.map(async (client) => {
    while (left > 0) {
      left--;
      await client.send('hello');
    }
  }));
}

async function run(transport, config) {
  const server = await bootUnderCallgrind({
    script: require.resolve('./websocket-server.js'),
    env: { BENCH_CONFIG: config, BENCH_TRANSPORT: transport },
    file: path.join(OUT, `callgrind.${transport}.${config}.out`),
  });
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connectEchoClient(transport, server.port)));
  await echo(clients, WARMUP);
  zeroCounters(server);
  await echo(clients, ECHOES);
  const total = dumpCounters(server);
  for (const client of clients) client.close();
  server.child.kill();
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
