require('reflect-metadata');
const http = require('node:http');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { ObservabilityModule, MetricsService } = require('../dist');
const { populate } = require('./lib/series');
const { PerformanceObserver } = require('node:perf_hooks');
const gcs = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) gcs.push([e.startTime, e.duration, e.detail?.kind]); }).observe({ entryTypes: ['gc'] });
(async () => {
  class M {}
  Reflect.decorate([Module({ imports: [ObservabilityModule.forRoot({ tracing: false, health: false })] })], M);
  const { FastifyAdapter } = require('@nestjs/platform-fastify');
  const app = await NestFactory.create(M, process.env.A === 'express' ? undefined : new FastifyAdapter(), { logger: false });
  populate(app.get(MetricsService), Number(process.env.N || 10000));
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address();
  const get = () => new Promise((res) => http.get({ port, host: '127.0.0.1', path: '/metrics' }, (r) => { let n = 0; r.on('data', (c) => (n += c.length)); r.on('end', () => res(n)); }));
  for (let r = 0; r < 6; r++) {
    gcs.length = 0;
    const gaps = [];
    let last = performance.now(), running = true;
    const turn = () => { const now = performance.now(); if (now - last > 3) gaps.push([last, now - last]); last = now; if (running) setImmediate(turn); };
    setImmediate(turn);
    const t0 = performance.now();
    const n = await get();
    running = false;
    console.log('round', r, n, 'bytes', (performance.now() - t0).toFixed(1), 'ms; gaps', gaps.map(([s, d]) => `${(s - t0).toFixed(1)}+${d.toFixed(1)}`).join(' '), '| gc', gcs.filter(([s]) => s > t0 - 1).map(([s, d, k]) => `${(s - t0).toFixed(1)}+${d.toFixed(1)}k${k}`).join(' '));
  }
  await app.close();
})();
