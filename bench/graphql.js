'use strict';
/**
 * Cost of the GraphQL part on one query (`query OrderById`, a schema-first resolver, bench/graphql-server.js):
 * throughput of a bare Nest GraphQL service against the same service with ObservabilityModule, metrics only
 * (`tracing: false`: the HTTP and the GraphQL histograms), and with `graphql: false` (the HTTP metrics alone), for Apollo on Express, Apollo on Fastify and Mercurius
 * on Fastify. Target: ≥ 0.90× bare throughput.
 *
 *   npm run bench:graphql                 # builds dist/ first; ~2 minutes
 *   npm run bench:graphql -- --quick      # 1 round, 1 s runs: checks the harness, not the numbers
 *   bash bench/lib/priority.sh npm run bench:graphql   # on a shared machine
 *
 * Each run boots the configuration in a fresh child pinned to core 0 and loads it with
 * `taskset -c 1 wrk -t1 -c50` posting the query (a Lua script); wrk's output is read by bench/lib/wrk.js.
 * Rounds alternate the two configurations (rotated and reversed); ratios are per round, then their median.
 */
const { execFile, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median, roundOrder, medianRatio } = require('./lib/stats');
const { parseWrk } = require('./lib/wrk');
const { QUERY_BODY } = require('./lib/graphql-query');

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const DURATION = quick ? 1 : 5;
const WARMUP = quick ? 1 : 2;
// --only mercurius (or apollo, express, fastify): the setups that name it.
const onlyIndex = process.argv.indexOf('--only');
const only = onlyIndex > 0 ? process.argv[onlyIndex + 1] : null;
const SETUPS = [
  ['apollo', 'express'],
  ['apollo', 'fastify'],
  ['mercurius', 'fastify'],
].filter((setup) => only === null || setup.includes(only));
// `http`: the module with `graphql: false`, the HTTP metrics alone: what of the cost is the GraphQL part's.
const CONFIGS = ['bare', 'metrics', 'http'];
const TARGET = 0.9;

const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-graphql-')), 'post.lua');
fs.writeFileSync(script, `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = ${JSON.stringify(QUERY_BODY)}\n`);

function start(config, driver, adapter) {
  const child = spawn('taskset', ['-c', '0', process.execPath, path.join(__dirname, 'graphql-server.js')], {
    env: { ...process.env, BENCH_CONFIG: config, BENCH_DRIVER: driver, BENCH_ADAPTER: adapter },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  children.add(child);
  const exited = new Promise((resolve) => child.once('exit', () => (children.delete(child), resolve())));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${config} ${driver} ${adapter}: not ready in 30 s`)), 30_000);
    child.once('message', (m) => (clearTimeout(timer), resolve(m)));
    exited.then(() => reject(new Error(`${config} ${driver} ${adapter} exited before it was ready`)));
  });
  return {
    ready,
    async stop() {
      try {
        child.send('exit');
      } catch {}
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function wrk(port, seconds) {
  const args = ['-c', '1', 'wrk', '-t1', '-c50', `-d${seconds}s`, '--latency', '-s', script, `http://127.0.0.1:${port}/graphql`];
  return new Promise((resolve, reject) => {
    const child = execFile('taskset', args, { timeout: (seconds + 20) * 1000, killSignal: 'SIGKILL' }, (error, stdout) => {
      children.delete(child);
      if (error) reject(new Error(`wrk failed: ${error.message}`));
      else resolve(parseWrk(stdout));
    });
    children.add(child);
  });
}

async function measure(config, driver, adapter) {
  const server = start(config, driver, adapter);
  try {
    const { port } = await server.ready;
    await wrk(port, WARMUP);
    const result = await wrk(port, DURATION);
    if (result.non2xx || result.socketErrors) throw new Error(`${config} ${driver} ${adapter}: ${result.non2xx} non-2xx, ${result.socketErrors} socket errors`);
    return result;
  } finally {
    await server.stop();
  }
}

async function main() {
  const rps = {};
  const p99 = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (const [driver, adapter] of SETUPS) {
      for (const config of roundOrder(CONFIGS, round)) {
        const key = `${driver}/${adapter}/${config}`;
        const result = await measure(config, driver, adapter);
        (rps[key] ??= []).push(result.rps);
        (p99[key] ??= []).push(result.p99);
        console.error(`round ${round + 1}/${ROUNDS} ${key}: ${Math.round(result.rps)} req/s, p99 ${result.p99?.toFixed(2)} ms`);
      }
    }
  }
  console.log(`\nGraphQL query, ${ROUNDS} round(s) of ${DURATION} s, wrk -c50, server on core 0 (node ${process.version})\n`);
  console.log('| driver on adapter | bare req/s | metrics only req/s | ratio (target ≥ 0.90×) | p99 bare → ours (ms) | `graphql: false` (HTTP metrics alone) |');
  console.log('| --- | --- | --- | --- | --- | --- |');
  let failed = false;
  for (const [driver, adapter] of SETUPS) {
    const base = `${driver}/${adapter}/bare`;
    const ours = `${driver}/${adapter}/metrics`;
    const ratio = medianRatio(rps[ours], rps[base]);
    if (ratio < TARGET) failed = true;
    console.log(
      `| ${driver} on ${adapter} | ${Math.round(median(rps[base]))} | ${Math.round(median(rps[ours]))} | ${ratio.toFixed(2)}× ${ratio >= TARGET ? 'ok' : 'MISSED'} | ${median(p99[base]).toFixed(2)} → ${median(p99[ours]).toFixed(2)} | ${medianRatio(rps[`${driver}/${adapter}/http`], rps[base]).toFixed(2)}× |`,
    );
  }
  if (failed && !quick) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
