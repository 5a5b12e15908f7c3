'use strict';
/**
 * The hello-world service that bench/http.js loads: `GET /hello` → HelloController → HelloService,
 * on Nest's Express or Fastify adapter, with one ObservabilityModule configuration.
 *
 *   BENCH_CONFIG  = bare | metrics | tracing | all100 | all10
 *   BENCH_ADAPTER = express | fastify
 *   BENCH_DECORATED=1: HelloService.hello() also gets @Traced() (where tracing is on) and
 *                      @Counted() @Timed() (where metrics are on)
 *   OTEL_EXPORTER_OTLP_ENDPOINT: where the SDK posts spans (bench/http-sink.js)
 *   BENCH_DIST: path of another build of the library to load instead of ../dist (what-if experiments)
 *
 * Listens on 127.0.0.1, a port from the OS, and talks to its parent over IPC: sends `{ port, pid }`
 * when ready; answers `'stats'` (after flushing the SDK) with the SDK's span counters and the
 * process's memory; closes the app and exits on `'exit'`.
 */
require('reflect-metadata');
const { Controller, Get, Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
// BENCH_DIST: another build of the library (a what-if copy of dist/ under this repository, so that
// its dependencies resolve from node_modules/); default ../dist.
const { ObservabilityModule, startObservabilitySdk, getObservabilitySdk, Traced, Counted, Timed } = require(process.env.BENCH_DIST ? require('node:path').resolve(process.env.BENCH_DIST) : '../dist');

const CONFIGS = {
  bare: null,
  metrics: { module: { tracing: false } },
  tracing: { module: { metrics: false }, sampleRatio: 1 },
  all100: { module: {}, sampleRatio: 1 },
  all10: { module: {}, sampleRatio: 0.1 },
};

const configName = process.env.BENCH_CONFIG ?? 'bare';
const adapterName = process.env.BENCH_ADAPTER ?? 'express';
if (!(configName in CONFIGS)) throw new Error(`unknown BENCH_CONFIG ${configName}`);
const config = CONFIGS[configName];
const decorated = process.env.BENCH_DECORATED === '1';

// As an application would: the SDK first, then Nest.
if (config?.sampleRatio !== undefined) startObservabilitySdk({ exporter: 'otlp', sampleRatio: config.sampleRatio, serviceName: 'bench-hello' });

class HelloService {
  hello() {
    return 'Hello World!';
  }
}
class HelloController {
  constructor(service) {
    this.service = service;
  }
  hello() {
    return this.service.hello();
  }
}

function decorateMethod(cls, key, decorators) {
  if (decorators.length === 0) return;
  const descriptor = Object.getOwnPropertyDescriptor(cls.prototype, key);
  const result = Reflect.decorate(decorators, cls.prototype, key, descriptor);
  Object.defineProperty(cls.prototype, key, result ?? descriptor);
}
if (decorated && config) {
  const tracing = config.module.tracing !== false;
  const metrics = config.module.metrics !== false;
  decorateMethod(HelloService, 'hello', [...(tracing ? [Traced()] : []), ...(metrics ? [Counted(), Timed()] : [])]);
}
decorateMethod(HelloController, 'hello', [Get('hello')]);
Reflect.decorate([Injectable()], HelloService);
Reflect.decorate([Controller(), Reflect.metadata('design:paramtypes', [HelloService])], HelloController);

class AppModule {}
Reflect.decorate(
  [Module({ imports: config ? [ObservabilityModule.forRoot(config.module)] : [], controllers: [HelloController], providers: [HelloService] })],
  AppModule,
);

async function main() {
  let adapter;
  if (adapterName === 'fastify') {
    const { FastifyAdapter } = require('@nestjs/platform-fastify');
    adapter = new FastifyAdapter();
  } else if (adapterName !== 'express') {
    throw new Error(`unknown BENCH_ADAPTER ${adapterName}`);
  }
  const app = adapter
    ? await NestFactory.create(AppModule, adapter, { logger: ['error', 'warn'] })
    : await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();

  process.on('message', async (message) => {
    if (message === 'stats') {
      const sdk = getObservabilitySdk();
      if (sdk) await sdk.forceFlush();
      const stats = sdk ? { ended: sdk.stats.ended, exported: sdk.stats.exported, failed: sdk.stats.failed, dropped: sdk.stats.dropped, pending: sdk.stats.pending } : null;
      const memory = process.memoryUsage();
      const spaces = Object.fromEntries(require('node:v8').getHeapSpaceStatistics().map((x) => [x.space_name, Math.round(x.space_size / 2 ** 20)]));
      // The live heap (what is still referenced), when run with --expose-gc as bench/http.js does.
      let liveHeap;
      if (typeof globalThis.gc === 'function') {
        globalThis.gc();
        liveHeap = process.memoryUsage().heapUsed;
      }
      process.send({ stats, memory, spaces, liveHeap });
    } else if (message === 'exit') {
      await app.close();
      await getObservabilitySdk()?.shutdown();
      process.exit(0);
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ port, pid: process.pid });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
