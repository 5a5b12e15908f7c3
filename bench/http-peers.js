'use strict';
/**
 * The peer stacks that bench/http-server.js boots beside ours: what users assemble today from the
 * real packages, without this library.
 *
 *   prom:  @willsoto/nestjs-prometheus (`PrometheusModule.register()`: default metrics, GET /metrics)
 *          + a global interceptor (APP_INTERCEPTOR) that records a prom-client histogram
 *          `http_request_duration_seconds{method,route,status_code}` per HTTP request.
 *   otel:  @opentelemetry/sdk-node's NodeSDK with the http, express and nestjs-core
 *          auto-instrumentations, 100% sampled (the SDK's default ParentBased(AlwaysOn)), a
 *          BatchSpanProcessor with its defaults and the OTLP/HTTP protobuf exporter
 *          (OTEL_EXPORTER_OTLP_ENDPOINT, the bench's sink), + nestjs-otel's `@Span()` on the service
 *          method. @opentelemetry/instrumentation-fastify is deprecated (for @fastify/otel) and both
 *          are built on @opentelemetry/instrumentation 0.213/0.222, not the 0.30x line of sdk-node
 *          0.301: on Fastify the stack is http + nestjs-core.
 *          Nest 12 is ESM: @nestjs/platform-express `import`s express, which the require hook of
 *          the express instrumentation does not see, so that instrumentation would produce nothing
 *          and the http server span would have no route ("GET"). The bench app is CommonJS, so it
 *          `require()`s express right after `sdk.start()` (one module instance, shared with Nest's
 *          import), as an app's CommonJS preload could; `BENCH_OTEL_PRELOAD=0` skips that.
 *          @opentelemetry/instrumentation-nestjs-core supports @nestjs/core < 12: it produces
 *          nothing on Nest 12 (it is loaded all the same, as users do). The sink counts the spans
 *          received per instrumentation scope, kind and name.
 *   peers: both, plus @nestjs/terminus with a GET /health endpoint (a heap check).
 *
 * `startOtelPeer()` must run before Nest and the HTTP framework are loaded (the instrumentations
 * hook `require`); it returns span counters taken the way the library counts its own: `ended`
 * (every sampled span that ended, from a span processor in front of the batch processor),
 * `exported` / `failed` (from a wrapper around the exporter); `dropped` = the rest after a flush,
 * which the SDK drops without counting them anywhere (its queue was full).
 */
const { createRequire } = require('node:module');

function startOtelPeer({ adapter, serviceName }) {
  const sdkRequire = createRequire(require.resolve('@opentelemetry/sdk-node'));
  const { NodeSDK } = require('@opentelemetry/sdk-node');
  const { BatchSpanProcessor } = sdkRequire('@opentelemetry/sdk-trace');
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
  const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
  const { NestInstrumentation } = require('@opentelemetry/instrumentation-nestjs-core');
  const instrumentations = [new HttpInstrumentation(), new NestInstrumentation()];
  if (adapter === 'express') {
    const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');
    instrumentations.push(new ExpressInstrumentation());
  }

  const stats = { ended: 0, exported: 0, failed: 0, dropped: 0, pending: 0 };
  const exporter = new OTLPTraceExporter();
  const countingExporter = {
    export(spans, done) {
      const n = spans.length;
      exporter.export(spans, (result) => {
        if (result.code === 0) stats.exported += n;
        else stats.failed += n;
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
  const countingProcessor = {
    onStart() {},
    onEnd() {
      stats.ended++;
    },
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(),
  };
  // What `new NodeSDK({ traceExporter })` builds (BatchSpanProcessor with the OTEL_BSP_* defaults:
  // queue 2048, batch 512, 5 s), with the counters around it.
  const batch = new BatchSpanProcessor({ exporter: countingExporter });
  const sdk = new NodeSDK({
    serviceName,
    spanProcessors: [countingProcessor, batch],
    instrumentations,
    // Traces only, as ours: no OTLP metrics or logs pipelines.
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  if (adapter === 'express' && process.env.BENCH_OTEL_PRELOAD !== '0') {
    createRequire(require.resolve('@nestjs/platform-express'))('express');
  }
  return {
    instrumentations: instrumentations.map((i) => `${i.instrumentationName}@${i.instrumentationVersion}`),
    async flush() {
      await batch.forceFlush();
      return { ...stats, dropped: stats.ended - stats.exported - stats.failed };
    },
    shutdown: () => sdk.shutdown(),
  };
}

/**
 * Nest pieces of the peer stacks, built once Nest is loaded: `imports`, `providers` and `controllers`
 * for the AppModule, and the decorators to put on HelloService.hello().
 */
function peerModuleParts({ prom, otel, terminus }) {
  const imports = [];
  const providers = [];
  const controllers = [];
  const serviceDecorators = [];
  const { Injectable, Controller, Get } = require('@nestjs/common');
  if (prom) {
    const { APP_INTERCEPTOR } = require('@nestjs/core');
    const { PrometheusModule, makeHistogramProvider, InjectMetric } = require('@willsoto/nestjs-prometheus');
    const { finalize } = require('rxjs');
    const METRIC = 'http_request_duration_seconds';
    // The interceptor users write (a global APP_INTERCEPTOR injecting the histogram).
    class HttpMetricsInterceptor {
      constructor(histogram) {
        this.histogram = histogram;
      }
      intercept(context, next) {
        if (context.getType() !== 'http') return next.handle();
        const http = context.switchToHttp();
        const req = http.getRequest();
        const res = http.getResponse();
        const end = this.histogram.startTimer();
        return next.handle().pipe(
          finalize(() => {
            // Express: req.route.path; Fastify: req.routeOptions.url.
            const route = req.route?.path ?? req.routeOptions?.url ?? 'unknown';
            end({ method: req.method, route, status_code: res.statusCode });
          }),
        );
      }
    }
    Reflect.decorate([Injectable(), Reflect.metadata('design:paramtypes', [Object])], HttpMetricsInterceptor);
    InjectMetric(METRIC)(HttpMetricsInterceptor, undefined, 0); // @InjectMetric(METRIC) on the constructor's parameter
    imports.push(PrometheusModule.register());
    providers.push(
      makeHistogramProvider({ name: METRIC, help: 'HTTP request duration in seconds', labelNames: ['method', 'route', 'status_code'] }),
      { provide: APP_INTERCEPTOR, useClass: HttpMetricsInterceptor },
    );
  }
  if (otel) {
    const { Span } = require('nestjs-otel');
    serviceDecorators.push(Span());
  }
  if (terminus) {
    const { TerminusModule, HealthCheckService, MemoryHealthIndicator, HealthCheck } = require('@nestjs/terminus');
    class HealthController {
      constructor(health, memory) {
        this.health = health;
        this.memory = memory;
      }
      check() {
        return this.health.check([() => this.memory.checkHeap('memory_heap', 1024 * 2 ** 20)]);
      }
    }
    const descriptor = Object.getOwnPropertyDescriptor(HealthController.prototype, 'check');
    Object.defineProperty(HealthController.prototype, 'check', Reflect.decorate([Get(), HealthCheck()], HealthController.prototype, 'check', descriptor) ?? descriptor);
    Reflect.decorate([Controller('health'), Reflect.metadata('design:paramtypes', [HealthCheckService, MemoryHealthIndicator])], HealthController);
    imports.push(TerminusModule.forRoot());
    controllers.push(HealthController);
  }
  return { imports, providers, controllers, serviceDecorators };
}

module.exports = { startOtelPeer, peerModuleParts };
