'use strict';
/**
 * The service that bench/scrape.js loads: `GET /hello`, the module's `/metrics` (metrics only, the
 * default process metrics on) with about BENCH_SERIES extra sample lines, and `GET /naive-metrics`,
 * which serves the same Registry the way a hand-written controller would (`await registry.metrics()`,
 * in one go): the baseline.
 *
 *   BENCH_ADAPTER = express | fastify     BENCH_SERIES = sample lines to add (default 10000)
 *
 * Listens on 127.0.0.1, a port from the OS; sends `{ port, pid }` to its parent over IPC when ready
 * and exits on `'exit'`.
 */
require('reflect-metadata');
const { Controller, Get, Module, Header } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { ObservabilityModule, MetricsService } = require('../dist');
const { populate } = require('./lib/series');

const adapterName = process.env.BENCH_ADAPTER ?? 'express';
const series = Number(process.env.BENCH_SERIES ?? 10_000);

class HelloController {
  constructor(metrics) {
    this.metrics = metrics;
  }
  hello() {
    return 'hello';
  }
  naive() {
    return this.metrics.registry.metrics();
  }
}
Reflect.decorate([Get('hello')], HelloController.prototype, 'hello', Object.getOwnPropertyDescriptor(HelloController.prototype, 'hello'));
Reflect.decorate([Get('naive-metrics'), Header('Content-Type', 'text/plain; version=0.0.4')], HelloController.prototype, 'naive', Object.getOwnPropertyDescriptor(HelloController.prototype, 'naive'));
Reflect.decorate([Controller()], HelloController);
Reflect.metadata('design:paramtypes', [MetricsService])(HelloController);

class AppModule {}
Reflect.decorate([Module({ imports: [ObservabilityModule.forRoot({ tracing: false, health: false })], controllers: [HelloController] })], AppModule);

async function main() {
  let adapter;
  if (adapterName === 'fastify') {
    const { FastifyAdapter } = require('@nestjs/platform-fastify');
    adapter = new FastifyAdapter();
  } else {
    const { ExpressAdapter } = require('@nestjs/platform-express');
    adapter = new ExpressAdapter();
  }
  const app = await NestFactory.create(AppModule, adapter, { logger: false });
  const metrics = app.get(MetricsService);
  populate(metrics, series);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  process.send({ port, pid: process.pid });
  process.on('message', async (message) => {
    if (message === 'exit') {
      await app.close();
      process.exit(0);
    }
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
