'use strict';
/**
 * Cost of the messaging and BullMQ parts, metrics only (issue 22 item 6): the throughput of
 * - a BullMQ job round trip (`Queue.add()`, then the `@Processor()` has processed it), sequential;
 * - a NATS request/response (`ClientProxy.send()` to a `@MessagePattern()` handler of the same hybrid app);
 * in a bare Nest app, and in the same app with `ObservabilityModule.forRoot({ tracing: false, health: false })`.
 * Real brokers: a `redis-server` and a `nats-server` of its own, on free loopback ports, in temp folders,
 * stopped at the end. Both apps run in this process against the same brokers (their own queue and subject);
 * variants alternate within each round, and the ratio is the median of per-round ratios (one run).
 * Target: ≥ 0.90× bare throughput. Run: `npm run bench:queues` (or `-- --quick`), best with
 * `bash bench/lib/priority.sh npm run bench:queues`.
 */
require('reflect-metadata');
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const net = require('node:net');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { Module, Controller, Inject } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { ClientsModule, MessagePattern, Transport } = require('@nestjs/microservices');
const { BullModule, Processor, WorkerHost, getQueueToken } = require('@nestjs/bullmq');
const { firstValueFrom } = require('rxjs');
const { ObservabilityModule } = require('../dist');
const { median, roundOrder, medianRatio } = require('./lib/stats');

const quick = process.argv.includes('--quick');
const OPS = quick ? 100 : 300;
const ROUNDS = quick ? 5 : 15;

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startServer(command, args, port) {
  const dir = mkdtempSync(join(tmpdir(), `bench-${command}-`));
  const child = spawn(command, args(dir), { cwd: dir, stdio: 'ignore' });
  for (let i = 0; i < 200; i++) {
    if (await new Promise((resolve) => net.connect(port, '127.0.0.1').once('connect', function () { this.destroy(); resolve(true); }).once('error', () => resolve(false)))) {
      return () => {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`${command} did not start (install Debian's package)`);
}

async function createApp(variant, redis, nats) {
  const queueName = `bench-${variant}`;
  const subject = `bench.${variant}`;
  const waiters = [];
  class JobProcessor extends WorkerHost {
    async process(job) {
      waiters.shift()?.();
      return job.data.n;
    }
  }
  Processor(queueName)(JobProcessor);
  class Handler {
    answer(data) {
      return { n: data.n };
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(Handler.prototype, 'answer');
  MessagePattern(subject)(Handler.prototype, 'answer', descriptor);
  Object.defineProperty(Handler.prototype, 'answer', descriptor);
  Controller()(Handler);
  class AppModule {}
  Module({
    imports: [
      ...(variant === 'module' ? [ObservabilityModule.forRoot({ tracing: false, health: false })] : []),
      BullModule.forRoot({ connection: redis }),
      BullModule.registerQueue({ name: queueName }),
      ClientsModule.register([{ name: 'NATS', transport: Transport.NATS, options: { servers: [nats] } }]),
    ],
    controllers: [Handler],
    providers: [JobProcessor],
  })(AppModule);
  const app = await NestFactory.create(AppModule, { logger: false });
  app.connectMicroservice({ transport: Transport.NATS, options: { servers: [nats] } });
  await app.startAllMicroservices();
  await app.init();
  const queue = app.get(getQueueToken(queueName));
  const client = app.get('NATS');
  await client.connect();
  return {
    app,
    async job(n) {
      const processed = new Promise((resolve) => waiters.push(resolve));
      await queue.add('bench', { n }, { removeOnComplete: true });
      await processed;
    },
    request: (n) => firstValueFrom(client.send(subject, { n })),
  };
}

/** Operations per second of `OPS` sequential calls of `op`. */
async function rate(op) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < OPS; i++) await op(i);
  return OPS / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function main() {
  const [redisPort, natsPort] = [await freePort(), await freePort()];
  const stops = [
    await startServer('redis-server', (dir) => ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], redisPort),
    await startServer('nats-server', (dir) => ['-a', '127.0.0.1', '-p', String(natsPort), '--pid', join(dir, 'nats.pid')], natsPort),
  ];
  const apps = {};
  try {
    for (const variant of ['bare', 'module']) apps[variant] = await createApp(variant, { host: '127.0.0.1', port: redisPort }, `nats://127.0.0.1:${natsPort}`);
    const results = { job: { bare: [], module: [] }, request: { bare: [], module: [] } };
    for (let round = -1; round < ROUNDS; round++) {
      for (const variant of roundOrder(['bare', 'module'], round + 1)) {
        for (const kind of ['job', 'request']) {
          const r = await rate((n) => apps[variant][kind](n));
          if (round >= 0) results[kind][variant].push(r);
        }
      }
    }
    const rows = [
      ['BullMQ job round trip', results.job],
      ['NATS request/response', results.request],
    ];
    console.log(`\n${ROUNDS} rounds × ${OPS} sequential operations per variant, metrics only (tracing: false)\n`);
    console.log('| operation | bare ops/s | module ops/s | module / bare (median of rounds) | target |');
    console.log('|---|---:|---:|---:|---|');
    for (const [name, r] of rows) {
      const ratio = medianRatio(r.module, r.bare);
      console.log(`| ${name} | ${median(r.bare).toFixed(0)} | ${median(r.module).toFixed(0)} | ${ratio.toFixed(2)}× | ≥ 0.90× ${ratio >= 0.9 ? 'met' : 'MISSED'} |`);
    }
  } finally {
    for (const a of Object.values(apps)) await Promise.race([a.app.close(), new Promise((resolve) => setTimeout(resolve, 5000))]);
    for (const stop of stops) stop();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
