'use strict';
/**
 * Instructions per GraphQL query (issue 21 item 4), deterministic on a shared box: bench/graphql-server.js
 * runs under `valgrind --tool=callgrind` (V8 with `--single-threaded`, bench/lib/callgrind.js), `SOCKETS`
 * kept-alive HTTP connections from this process post `WARMUP` queries (`query OrderById`, bench/lib/graphql-query.js),
 * the counters are zeroed (`callgrind_control -z`), `QUERIES` more are posted and the counters dumped
 * (`callgrind_control -d`). Prints instructions per query, whole server process, for Apollo on Express,
 * Apollo on Fastify and Mercurius on Fastify, each bare, with the module's metrics only
 * (`forRoot({ tracing: false })`, the GraphQL part on) and with `graphql: false` (`http`: the HTTP metrics
 * alone, what of the cost is the GraphQL part's). Dumps stay in `CG_OUT` for callgrind_annotate.
 *
 *   npm run bench:graphql:callgrind                                   # builds dist/ first; ~15 minutes
 *   node_modules/.bin/node bench/graphql-callgrind.js [apollo/express|apollo/fastify|mercurius/fastify] [bare,metrics,http]
 *
 * `CG_WARMUP` (default 1000), `CG_QUERIES` (2000) and `CG_OUT` (/tmp/graphql-callgrind) change it.
 */
const path = require('node:path');
const { bootUnderCallgrind, zeroCounters, dumpCounters } = require('./lib/callgrind');
const { queryClient } = require('./lib/graphql-query');

const SOCKETS = 5;
const WARMUP = Number(process.env.CG_WARMUP ?? 1000);
const QUERIES = Number(process.env.CG_QUERIES ?? 2000);
const OUT = process.env.CG_OUT ?? '/tmp/graphql-callgrind';
const SETUPS = ['apollo/express', 'apollo/fastify', 'mercurius/fastify'];
const CONFIGS = ['bare', 'metrics', 'http'];

async function post(client, count) {
  let left = count;
  await Promise.all(
    Array.from({ length: SOCKETS }, async () => {
      while (left > 0) {
        left--;
        await client.post();
      }
    }),
  );
}

async function run(setup, config) {
  const [driver, adapter] = setup.split('/');
  const server = await bootUnderCallgrind({
    script: require.resolve('./graphql-server.js'),
    env: { BENCH_CONFIG: config, BENCH_DRIVER: driver, BENCH_ADAPTER: adapter },
    file: path.join(OUT, `callgrind.${driver}-${adapter}.${config}.out`),
  });
  const client = queryClient(server.port, SOCKETS);
  try {
    await post(client, WARMUP);
    zeroCounters(server);
    await post(client, QUERIES);
    return dumpCounters(server);
  } finally {
    client.close();
    server.child.kill();
  }
}

async function main() {
  const setups = process.argv[2] ? process.argv[2].split(',') : SETUPS;
  const configs = process.argv[3] ? process.argv[3].split(',') : CONFIGS;
  for (const s of setups) if (!SETUPS.includes(s)) throw new Error(`unknown setup ${s} (one of ${SETUPS.join(', ')})`);
  for (const c of configs) if (!CONFIGS.includes(c)) throw new Error(`unknown configuration ${c} (one of ${CONFIGS.join(', ')})`);
  console.log(`Instructions per GraphQL query, whole server process (${QUERIES} queries after ${WARMUP}, ${SOCKETS} sockets, node ${process.version})\n`);
  const ratioColumns = configs.includes('bare') ? configs.filter((c) => c !== 'bare') : [];
  const columns = [...configs, ...ratioColumns.map((c) => `${c} ÷ bare`)];
  console.log(`| driver on adapter | ${columns.join(' | ')} |`);
  console.log(`| --- |${' ---: |'.repeat(columns.length)}`);
  for (const setup of setups) {
    const perQuery = {};
    for (const config of configs) {
      perQuery[config] = (await run(setup, config)) / QUERIES;
      console.error(`${setup} ${config}: ${Math.round(perQuery[config])} instructions per query`);
    }
    const cells = [...configs.map((c) => Math.round(perQuery[c]).toLocaleString('en-US')), ...ratioColumns.map((c) => (perQuery[c] / perQuery.bare).toFixed(3))];
    console.log(`| ${setup.replace('/', ' on ')} | ${cells.join(' | ')} |`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
