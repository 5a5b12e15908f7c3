'use strict';
/**
 * The hello-world service that bench/http.js loads: `GET /hello` → HelloController → HelloService,
 * on Nest's Express or Fastify adapter, with one ObservabilityModule configuration or one peer stack.
 *
 *   BENCH_CONFIG  = bare | metrics | tracing | all100 | all10   (ours: the encoded span path)
 *                 | sdk100 | sdk10                            (ours on the SDK's span path, spanExport: 'sdk')
 *                 | refused | hang | err503                   (all100 with a failing Collector: bench/http.js
 *                                                              points OTEL_EXPORTER_OTLP_TRACES_ENDPOINT at it)
 *                 | prom | otel | peers                         (peer stacks, bench/http-peers.js)
 *   BENCH_ADAPTER = express | fastify
 *   BENCH_DECORATED=1: HelloService.hello() also gets @Traced() (where tracing is on) and
 *                      @Counted() @Timed() (where metrics are on); ours only
 *   OTEL_EXPORTER_OTLP_ENDPOINT: where the SDK posts spans (bench/http-sink.js)
 *   BENCH_DIST: path of another build of the library to load instead of ../dist (what-if experiments)
 *
 * Listens on 127.0.0.1, a port from the OS, and talks to its parent over IPC: sends `{ port, pid }`
 * when ready; answers `'stats'` (after flushing the SDK) with the SDK's span counters and the
 * process's memory; closes the app and exits on `'exit'`.
 */
const CONFIGS = {
  bare: null,
  metrics: { module: { tracing: false } },
  tracing: { module: { metrics: false }, sampleRatio: 1 },
  all100: { module: {}, sampleRatio: 1 },
  all10: { module: {}, sampleRatio: 0.1 },
  sdk100: { module: {}, sampleRatio: 1, spanExport: 'sdk' },
  sdk10: { module: {}, sampleRatio: 0.1, spanExport: 'sdk' },
  refused: { module: {}, sampleRatio: 1 },
  hang: { module: {}, sampleRatio: 1 },
  err503: { module: {}, sampleRatio: 1 },
  // A/B diagnostics (bench/http.js runs them only when --only names them): one thing switched at a time.
  all0: { module: {}, sampleRatio: 0 },
  all10none: { module: {}, sampleRatio: 0.1, exporter: 'none' },
  all100none: { module: {}, sampleRatio: 1, exporter: 'none' },
  trace10: { module: { metrics: false }, sampleRatio: 0.1 },
  all10noex: { module: { tracing: { exemplars: false } }, sampleRatio: 0.1 },
  prom: { peer: { prom: true } },
  otel: { peer: { otel: true } },
  peers: { peer: { prom: true, otel: true, terminus: true } },
};

const configName = process.env.BENCH_CONFIG ?? 'bare';
const adapterName = process.env.BENCH_ADAPTER ?? 'express';
if (!(configName in CONFIGS)) throw new Error(`unknown BENCH_CONFIG ${configName}`);
if (adapterName !== 'express' && adapterName !== 'fastify') throw new Error(`unknown BENCH_ADAPTER ${adapterName}`);
const config = CONFIGS[configName];
const peer = config?.peer;
const ours = config && !peer;
const decorated = process.env.BENCH_DECORATED === '1';

require('reflect-metadata');
// As an application would: the SDK first (the peer's instrumentations hook require()), then Nest.
const { decorateMethod } = require('./lib/decorate');
const { serveBenchIpc, runServer } = require('./lib/server-ipc');
const peers = require('./http-peers');
const otelPeer = peer?.otel ? peers.startOtelPeer({ adapter: adapterName, serviceName: 'bench-hello' }) : null;
// BENCH_DIST: another build of the library (a what-if copy of dist/ under this repository, so that
// its dependencies resolve from node_modules/); default ../dist. Not loaded at all for the peers.
const lib = ours ? require(process.env.BENCH_DIST ? require('node:path').resolve(process.env.BENCH_DIST) : '../dist') : null;
if (config?.sampleRatio !== undefined) lib.startObservabilitySdk({ exporter: config.exporter ?? 'otlp', sampleRatio: config.sampleRatio, serviceName: 'bench-hello', ...(config.spanExport ? { spanExport: config.spanExport } : {}) });

const { Controller, Get, Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const peerParts = peer ? peers.peerModuleParts(peer) : { imports: [], providers: [], controllers: [], serviceDecorators: [] };

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

if (decorated && ours) {
  const tracing = config.module.tracing !== false;
  const metrics = config.module.metrics !== false;
  decorateMethod(HelloService, 'hello', [...(tracing ? [lib.Traced()] : []), ...(metrics ? [lib.Counted(), lib.Timed()] : [])]);
}
decorateMethod(HelloService, 'hello', peerParts.serviceDecorators);
decorateMethod(HelloController, 'hello', [Get('hello')]);
Reflect.decorate([Injectable()], HelloService);
Reflect.decorate([Controller(), Reflect.metadata('design:paramtypes', [HelloService])], HelloController);

class AppModule {}
Reflect.decorate(
  [
    Module({
      imports: [...(ours ? [lib.ObservabilityModule.forRoot(config.module)] : []), ...peerParts.imports],
      controllers: [HelloController, ...peerParts.controllers],
      providers: [HelloService, ...peerParts.providers],
    }),
  ],
  AppModule,
);

async function main() {
  let adapter;
  if (adapterName === 'fastify') {
    const { FastifyAdapter } = require('@nestjs/platform-fastify');
    adapter = new FastifyAdapter();
  }
  const app = adapter
    ? await NestFactory.create(AppModule, adapter, { logger: ['error', 'warn'] })
    : await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  await app.listen(0, '127.0.0.1');

  // GC pauses of the main thread (count and ms by kind) since the last 'mark' (the measured load).
  const { PerformanceObserver, constants } = require('node:perf_hooks');
  const kinds = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb' };
  let gc = {};
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = kinds[entry.detail?.kind] ?? String(entry.detail?.kind);
      const k = (gc[kind] ??= { count: 0, ms: 0, maxMs: 0 });
      k.count++;
      k.ms += entry.duration;
      k.maxMs = Math.max(k.maxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  serveBenchIpc(app, {
    async onMessage(message) {
      if (message === 'mark') {
        gc = {};
        process.send({ marked: true });
      } else if (message === 'stats') {
        const gcDuringLoad = gc;
        const sdk = lib?.getObservabilitySdk();
        // A failed flush (e.g. the exporter's concurrent-export limit) is counted in sdk.stats.failed.
        if (sdk) await sdk.forceFlush().catch((error) => console.error(`flush failed: ${error.message}`));
        let stats = sdk ? { ended: sdk.stats.ended, exported: sdk.stats.exported, failed: sdk.stats.failed, dropped: sdk.stats.dropped, pending: sdk.stats.pending } : null;
        if (otelPeer) stats = await otelPeer.flush();
        const memory = process.memoryUsage();
        const spaces = Object.fromEntries(require('node:v8').getHeapSpaceStatistics().map((x) => [x.space_name, Math.round(x.space_size / 2 ** 20)]));
        // The live heap (what is still referenced), when run with --expose-gc as bench/http.js does.
        let liveHeap;
        if (typeof globalThis.gc === 'function') {
          globalThis.gc();
          liveHeap = process.memoryUsage().heapUsed;
        }
        process.send({ stats, memory, spaces, liveHeap, gc: gcDuringLoad });
      }
    },
    async onExit() {
      await lib?.getObservabilitySdk()?.shutdown();
      await otelPeer?.shutdown();
    },
  });
}

runServer(main);
