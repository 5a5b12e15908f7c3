'use strict';
/**
 * What survives V8's young-generation collections per request: a fixed number of keep-alive requests
 * (50 in flight, after 5,000 of warm-up) against one bench/http-server.js configuration, with the
 * server under --trace-gc-nvp. Prints one JSON line: scavenges, KB allocated per request, bytes per
 * request that survived a scavenge and that were promoted, scavenge pause per 1,000 requests, the
 * largest new-space capacity, and the server's RSS and live heap after a full GC. Byte counts come from
 * V8, not from a clock, so they hold on a busy box (Express; the driver's pacing makes Fastify's vary).
 *
 *   node bench/gc-probe.js CONFIG [ADAPTER] [REQUESTS]     e.g. all0 express 20000
 *
 * No OTLP sink is started: compare configurations that export nothing (bare, metrics, all0, all10none).
 */
const { fork } = require('node:child_process');
const http = require('node:http');
const path = require('node:path');
const [config = 'bare', adapter = 'express', total = '40000'] = process.argv.slice(2);
const child = fork(path.join(__dirname, 'http-server.js'), [], {
  env: { ...process.env, BENCH_CONFIG: config, BENCH_ADAPTER: adapter },
  execArgv: ['--trace-gc-nvp', '--expose-gc'],
  stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
});
let out = '';
child.stdout.on('data', (d) => (out += d));
const request = (agent, port) => new Promise((resolve, reject) => {
  http.get({ host: '127.0.0.1', port, path: '/hello', agent }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject);
});
child.on('message', async (m) => {
  if (m.port) {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
    const run = async (n) => { let left = n; await Promise.all(Array.from({ length: 50 }, async () => { while (left-- > 0) await request(agent, m.port); })); };
    await run(5000);
    const mark = out.length;
    child.send('mark');
    await new Promise((r) => child.once('message', r));
    const t = process.hrtime.bigint();
    await run(Number(total));
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    child.send('stats');
    const stats = await new Promise((r) => child.once('message', r));
    const lines = out.slice(mark).split('\n').filter((l) => l.includes('gc=s '));
    let survived = 0, allocated = 0, capacity = 0, promoted = 0, pause = 0, maxPause = 0;
    for (const l of lines) {
      const f = Object.fromEntries(l.split(/\s+/).map((kv) => kv.split('=')));
      survived += Number(f.new_space_survived ?? 0); allocated += Number(f.allocated ?? 0); capacity = Math.max(capacity, Number(f.new_space_capacity ?? 0));
      promoted += Number(f.promoted ?? 0);
      pause += Number(f.pause ?? 0); maxPause = Math.max(maxPause, Number(f.pause ?? 0));
    }
    const n = Number(total);
    console.log(JSON.stringify({ config, adapter, scavenges: lines.length, allocKBPerReq: +(allocated / n / 1024).toFixed(2), maxCapacityMB: +(capacity / 2 ** 20).toFixed(1), survivedBytesPerReq: +(survived / n).toFixed(1), promotedBytesPerReq: +(promoted / n).toFixed(1), scavengeMsPerKReq: +(pause / n * 1000).toFixed(2), maxPause, newSpaceMB: stats.spaces.new_space, rssMB: Math.round(stats.memory.rss / 2 ** 20), liveHeapMB: Math.round(stats.liveHeap / 2 ** 20), usPerReqWall: +(ms * 1000 / n).toFixed(1), spans: stats.stats }));
    agent.destroy();
    child.send('exit');
  }
});
