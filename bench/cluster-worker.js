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
}
main().catch((error) => {
  console.error(error);
  process.exit(1);
});
