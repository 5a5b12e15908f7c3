'use strict';
/**
 * Instructions per outgoing `fetch()` (issue 21 item 4), deterministic on a shared box: the calling
 * process of bench/http-client.js runs under `valgrind --tool=callgrind` (V8 `--single-threaded`; the
 * server and the OTLP sink are its children, not counted), once with `FEW` calls and once with `MANY`
 * after the same warm-up, per variant. The difference of the two totals over `MANY - FEW` calls is the
 * instructions of one call in steady state: boot, warm-up and shutdown cancel out. The sampled variant
 * counts its export too (the worker thread is a thread of the process).
 * Run: `npm run build && node_modules/.bin/node bench/http-client-callgrind.js [variant...]`
 * (`CG_WARMUP`, `CG_FEW`, `CG_MANY`, `CG_OUT`; `BENCH_SPAN_PATH=sdk` for the SDK's span).
 */
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const WARMUP = Number(process.env.CG_WARMUP ?? 1000);
const FEW = Number(process.env.CG_FEW ?? 500);
const MANY = Number(process.env.CG_MANY ?? 2500);
const OUT = process.env.CG_OUT ?? '/tmp/http-client-callgrind';

async function child(variant, calls) {
  const { HttpClientBench } = require('./lib/http-client-variants');
  const bench = new HttpClientBench();
  await bench.start();
  await bench.batch(variant, WARMUP);
  // A full GC at both ends of the counted batch: otherwise one mark-compact more in one of the two runs
  // (a threshold crossed, not a cost of the extra calls) is spread over the calls as if each paid for it.
  global.gc();
  await bench.batch(variant, calls);
  global.gc();
  const received = await bench.stop();
  process.stdout.write(`${variant} ${calls} calls: spans ended ${bench.sdk.stats.ended}, received ${received.spans}\n`);
  process.exit(0);
}

/** Total instructions of one run (callgrind's `summary:` line). */
function instructions(variant, calls) {
  fs.mkdirSync(OUT, { recursive: true });
  const file = path.join(OUT, `callgrind.${variant}.${calls}.out`);
  const args = ['--tool=callgrind', `--callgrind-out-file=${file}`, process.execPath, '--single-threaded', '--expose-gc', __filename, '--child', variant, String(calls)];
  return new Promise((resolve, reject) => {
    const run = spawn('valgrind', args, { stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    run.stderr.on('data', (chunk) => (stderr += chunk));
    run.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`${variant} ${calls}: exit ${code}\n${stderr.slice(-2000)}`));
      const summary = /^summary: (\d+)/m.exec(fs.readFileSync(file, 'utf8'));
      if (!summary) return reject(new Error(`no summary in ${file}`));
      resolve(Number(summary[1]));
    });
  });
}

async function main() {
  const variants = process.argv.slice(2).length ? process.argv.slice(2) : ['bare', 'channels', 'propagation', 'unsampled', 'sampled'];
  const perCall = {};
  for (const variant of variants) {
    const few = await instructions(variant, FEW);
    const many = await instructions(variant, MANY);
    perCall[variant] = (many - few) / (MANY - FEW);
  }
  const span = process.env.BENCH_SPAN_PATH === 'sdk' ? "the SDK's span" : "the module's own span (encoded path)";
  console.log(`\nInstructions per fetch() in the calling process, (${MANY} − ${FEW} calls) after ${WARMUP} of warm-up; sampled: ${span}\n`);
  console.log('| variant | instructions per call | × bare |');
  console.log('| --- | ---: | ---: |');
  for (const variant of variants) {
    const ratio = perCall.bare ? (perCall[variant] / perCall.bare).toFixed(3) : '';
    console.log(`| ${variant} | ${Math.round(perCall[variant]).toLocaleString('en-US')} | ${ratio} |`);
  }
}

if (process.argv[2] === '--child') child(process.argv[3], Number(process.argv[4])).catch((error) => {
  console.error(error);
  process.exit(1);
});
else main().catch((error) => {
  console.error(error);
  process.exit(1);
});
