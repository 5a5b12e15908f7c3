'use strict';
/**
 * A worker of bench/cluster.js: `GET /hello` and the module's `/metrics` with about BENCH_SERIES extra
 * sample lines. With BENCH_CLUSTER_DIR set it runs with `metrics.cluster` in that directory. Listens on
 * BENCH_PORT (shared by `node:cluster` workers); tells its parent `{ ready: pid }` over IPC.
 */
require('reflect-metadata');
const { Controller, Get, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { ObservabilityModule, MetricsService } = require('../dist');
const { populate } = require('./lib/series');

class HelloController {
  hello() {
    return 'hello';
  }
}
Reflect.decorate([Get('hello')], HelloController.prototype, 'hello', Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello'));
Reflect.decorate([Controller()], HelloController);

const dir = process.env.BENCH_CLUSTER_DIR;
const metrics = { defaultMetrics: true, ...(dir ? { cluster: { directory: dir } } : {}) };
class AppModule {}
Reflect.decorate([Module({ imports: [ObservabilityModule.forRoot({ metrics, tracing: false, health: false })], controllers: [HelloController] })], AppModule);

async function main() {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  populate(app.get(MetricsService), Number(process.env.BENCH_SERIES ?? 1000));
  await app.listen(Number(process.env.BENCH_PORT), '127.0.0.1');
  process.send?.({ ready: process.pid });
  // --profile (bench/cluster.js): a CPU profile from now until the primary asks for it.
  if (process.env.BENCH_PROFILE_DIR) {
    const { Session } = require('node:inspector/promises');
    const session = new Session();
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 100 });
    await session.post('Profiler.start');
    process.on('message', async (message) => {
      if (message !== 'write-profile') return;
      const { profile } = await session.post('Profiler.stop');
      require('node:fs').writeFileSync(require('node:path').join(process.env.BENCH_PROFILE_DIR, `worker-${process.pid}.cpuprofile`), JSON.stringify(profile));
      process.send?.({ profiled: process.pid });
    });
  }
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
