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
 * `CG_JIT_NAMES=1` names V8's compiled functions in the dumps (`JS:<name>`, bench/lib/callgrind-jit-names.js).
 * `CG_WARMUP` (default 3000), `CG_REQUESTS` (3000), `CG_PASSES` (1), `CG_OUT` (/tmp/http-callgrind),
 * `BENCH_DECORATED=1` (HelloService.hello() @Traced() @Counted() @Timed(), as `bench:http -- --decorated`).
 */
const http = require('node:http');
const path = require('node:path');
const { fork } = require('node:child_process');
const fs = require('node:fs');
const { execFileSync } = require('node:child_process');
const { bootUnderCallgrind, zeroCounters, dumpCountersByThread } = require('./lib/callgrind');
const { nameDumps } = require('./lib/callgrind-jit-names');

const SOCKETS = 5;
const WARMUP = Number(process.env.CG_WARMUP ?? 3000);
const REQUESTS = Number(process.env.CG_REQUESTS ?? 3000);
const PASSES = Number(process.env.CG_PASSES ?? 1);
// JavaScript function names in the dumps (bench/lib/callgrind-jit-names.js); V8's perf map costs a few instructions per compile.
const JIT_NAMES = process.env.CG_JIT_NAMES === '1';
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
    nodeArgs: JIT_NAMES ? ['--perf-basic-prof', '--interpreted-frames-native-stack'] : [],
  });
  const client = helloClient(server.port);
  try {
    await client.send(WARMUP);
    zeroCounters(server);
    await client.send(REQUESTS);
    const dumps = dumpCountersByThread(server);
    const perfMap = `/tmp/perf-${server.pid}.map`;
    if (JIT_NAMES && fs.existsSync(perfMap)) {
      nameDumps(perfMap, dumps.map((d) => path.join(OUT, d.file)));
      fs.rmSync(perfMap);
    }
    const all = dumps.reduce((sum, d) => sum + d.total, 0);
    const mainDump = dumps.find((d) => d.thread === 1);
    const main = mainDump?.total ?? 0;
    const compile = mainDump ? compileCost(path.join(OUT, mainDump.file)) : 0;
    return { all: all / REQUESTS, main: main / REQUESTS, compile: compile / REQUESTS, threads: dumps.length };
  } finally {
    client.close();
    server.child.kill();
  }
}

/**
 * Instructions V8 spent compiling in a dump (TurboFan/Maglev, Sparkplug batches, lazy compiles): under
 * `--single-threaded` they run on the main thread, in the measured window while code still tiers up, and
 * they are not the request's cost (they vary with when a function crossed a threshold, not with what it does).
 */
function compileCost(dump) {
  const text = execFileSync('callgrind_annotate', ['--inclusive=yes', '--threshold=100', dump], { encoding: 'utf8', maxBuffer: 1 << 30 });
  let sum = 0;
  for (const line of text.split('\n')) {
    if (/v8::internal::Compiler::CompileOptimized\(|BaselineBatchCompiler::CompileBatch\(|v8::internal::Compiler::Compile\(v8::internal::Isolate\*, v8::internal::DirectHandle<v8::internal::JSFunction>/.test(line)) {
      sum += Number(line.trim().split(' ')[0].replace(/,/g, ''));
    }
  }
  return sum;
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
          console.error(`pass ${pass} ${adapter} ${config}: ${fmt(r.all)} instructions per request (main thread ${fmt(r.main)}, of which compiling ${fmt(r.compile)}; ${r.threads} threads)`);
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
  console.log('| adapter | config | pass | all threads | ÷ bare | main thread | ÷ bare | all threads less JIT compiling | ÷ bare |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const adapter of adapters) {
    for (const config of configs) {
      results[`${adapter}|${config}`].forEach((r, i) => {
        const bare = results[`${adapter}|bare`]?.[i];
        const ratio = (x, b) => (b ? (x / b).toFixed(3) : '');
        const net = (x) => x.all - x.compile;
        console.log(`| ${adapter} | ${config} | ${i + 1} | ${fmt(r.all)} | ${ratio(r.all, bare?.all)} | ${fmt(r.main)} | ${ratio(r.main, bare?.main)} | ${fmt(net(r))} | ${bare ? ratio(net(r), net(bare)) : ''} |`);
      });
    }
  }
  if (PASSES > 1) {
    const spread = (f) => Math.max(...Object.values(results).map((rs) => (Math.max(...rs.map(f)) - Math.min(...rs.map(f))) / Math.min(...rs.map(f))));
    console.log(`\nLargest spread between passes: ${(100 * spread((r) => r.all)).toFixed(2)} % all threads, ${(100 * spread((r) => r.all - r.compile)).toFixed(2)} % less JIT compiling`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
