'use strict';
/**
 * Instructions per HTTP request (issue 18), deterministic on a shared box: bench/http-server.js (the
 * hello-world service of bench/http.js, same config ids) runs under `valgrind --tool=callgrind
 * --separate-threads=yes` (V8 `--single-threaded`, bench/lib/callgrind.js); `SOCKETS` kept-alive
 * connections from this process send `WARMUP` `GET /hello`, the counters are zeroed, `REQUESTS` more are
 * sent and the counters dumped. The OTLP sink (bench/http-sink.js) is a normal child process, not counted.
 * Prints instructions per request, the whole process (all threads: main, the export worker, libuv's pool)
 * and the main thread alone, with ratios to bare, for each pass. Dumps stay in `CG_OUT` for callgrind_annotate.
 *
 *   npm run bench:http:callgrind                                      # builds dist/ first
 *   node_modules/.bin/node bench/http-callgrind.js [express,fastify] [bare,metrics,all0,all10none,all10,all100]
 *
 * `CG_WARMUP` (default 1500), `CG_REQUESTS` (3000), `CG_PASSES` (1), `CG_OUT` (/tmp/http-callgrind),
 * `BENCH_DECORATED=1` (HelloService.hello() @Traced() @Counted() @Timed(), as `bench:http -- --decorated`).
 */
const http = require('node:http');
const path = require('node:path');
const { fork } = require('node:child_process');
const { bootUnderCallgrind, zeroCounters, dumpCountersByThread } = require('./lib/callgrind');

const SOCKETS = 5;
const WARMUP = Number(process.env.CG_WARMUP ?? 1500);
const REQUESTS = Number(process.env.CG_REQUESTS ?? 3000);
const PASSES = Number(process.env.CG_PASSES ?? 1);
const OUT = process.env.CG_OUT ?? '/tmp/http-callgrind';
const ADAPTERS = ['express', 'fastify'];
const CONFIGS = ['bare', 'metrics', 'all0', 'all10none', 'all10', 'all100'];

function helloClient(port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: SOCKETS });
  const get = () =>
    new Promise((resolve, reject) => {
      const request = http.get({ host: '127.0.0.1', port, path: '/hello', agent }, (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => (response.statusCode === 200 && text === 'Hello World!' ? resolve() : reject(new Error(`GET /hello answered ${response.statusCode}: ${text}`))));
      });
      request.once('error', reject);
    });
  const send = async (count) => {
    let left = count;
    await Promise.all(
      Array.from({ length: SOCKETS }, async () => {
        while (left > 0) {
          left--;
          await get();
        }
      }),
    );
  };
  return { send, close: () => agent.destroy() };
}

function startSink() {
  const child = fork(path.join(__dirname, 'http-sink.js'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (message) => resolve({ child, port: message.port }));
    child.once('exit', (code) => reject(new Error(`http-sink.js exited with ${code}`)));
  });
}

async function run(sink, adapter, config, pass) {
  const server = await bootUnderCallgrind({
    script: require.resolve('./http-server.js'),
    env: {
      BENCH_CONFIG: config,
      BENCH_ADAPTER: adapter,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${sink.port}`,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `http://127.0.0.1:${sink.port}/v1/traces`,
      OTEL_SERVICE_NAME: 'bench-hello',
    },
    file: path.join(OUT, `callgrind.${adapter}.${config}.p${pass}.out`),
    valgrindArgs: ['--separate-threads=yes'],
  });
  const client = helloClient(server.port);
  try {
    await client.send(WARMUP);
    zeroCounters(server);
    await client.send(REQUESTS);
    const dumps = dumpCountersByThread(server);
    const all = dumps.reduce((sum, d) => sum + d.total, 0);
    const main = dumps.find((d) => d.thread === 1)?.total ?? 0;
    return { all: all / REQUESTS, main: main / REQUESTS, threads: dumps.length };
  } finally {
    client.close();
    server.child.kill();
  }
}

const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function main() {
  const adapters = process.argv[2] ? process.argv[2].split(',') : ADAPTERS;
  const configs = process.argv[3] ? process.argv[3].split(',') : CONFIGS;
  for (const a of adapters) if (!ADAPTERS.includes(a)) throw new Error(`unknown adapter ${a} (one of ${ADAPTERS.join(', ')})`);
  for (const c of configs) if (!CONFIGS.includes(c)) throw new Error(`unknown configuration ${c} (one of ${CONFIGS.join(', ')})`);
  const sink = await startSink();
  const results = {}; // `${adapter}|${config}` → [{ all, main }] by pass
  try {
    for (let pass = 1; pass <= PASSES; pass++) {
      for (const adapter of adapters) {
        for (const config of configs) {
          const r = await run(sink, adapter, config, pass);
          (results[`${adapter}|${config}`] ??= []).push(r);
          console.error(`pass ${pass} ${adapter} ${config}: ${fmt(r.all)} instructions per request (main thread ${fmt(r.main)}, ${r.threads} threads)`);
        }
      }
    }
  } finally {
    sink.child.kill();
  }
  console.log(
    `\nInstructions per GET /hello, under callgrind (${REQUESTS} requests after ${WARMUP}, ${SOCKETS} sockets, node ${process.version}` +
      `${process.env.BENCH_DECORATED === '1' ? ', decorated service' : ''}): all threads / main thread; ratio to bare of the same pass\n`,
  );
  console.log('| adapter | config | pass | all threads | ÷ bare | main thread | ÷ bare |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const adapter of adapters) {
    for (const config of configs) {
      results[`${adapter}|${config}`].forEach((r, i) => {
        const bare = results[`${adapter}|bare`]?.[i];
        const ratio = (x, b) => (b ? (x / b).toFixed(3) : '');
        console.log(`| ${adapter} | ${config} | ${i + 1} | ${fmt(r.all)} | ${ratio(r.all, bare?.all)} | ${fmt(r.main)} | ${ratio(r.main, bare?.main)} |`);
      });
    }
  }
  if (PASSES > 1) {
    const spreads = Object.values(results).map((rs) => (Math.max(...rs.map((r) => r.all)) - Math.min(...rs.map((r) => r.all))) / Math.min(...rs.map((r) => r.all)));
    console.log(`\nLargest spread between passes (all threads): ${(100 * Math.max(...spreads)).toFixed(2)} %`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
