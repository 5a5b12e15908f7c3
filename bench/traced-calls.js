'use strict';
/**
 * Per-call cost of @Traced() against nestjs-otel's @Span(), in one Nest application context and one
 * OpenTelemetry TracerProvider (the global one, which both decorators resolve): sampled (child of a
 * recording parent span) and under a parent that is not sampled.
 *
 * The provider: ParentBasedSampler(root: AlwaysOn), a BatchSpanProcessor and an exporter that only
 * counts spans (per tracer) and answers SUCCESS. A BatchSpanProcessor drains only when the event loop
 * turns, so every loop runs in chunks of CHUNK calls with a `setImmediate` between them; the time of a
 * round includes those turns, i.e. batching and export of every span (and the GC of the spans).
 * The harness checks that exactly the expected number of spans was exported, per tracer, with none
 * dropped.
 *
 * Prints one JSON object on stdout (run.js collects it). Run alone with
 *   node bench/traced-calls.js [--quick]
 * after `npm run build`. Add `--cpu-prof` before the script name to profile.
 */
require('reflect-metadata');
const { decorateMethod } = require('./lib/decorate');
const { Module, Injectable } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { context, trace, ROOT_CONTEXT, TraceFlags } = require('@opentelemetry/api');
const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
const { TracerProvider, BatchSpanProcessor, ParentBasedSampler, AlwaysOnSampler } = require('@opentelemetry/sdk-trace');
const { Span } = require('nestjs-otel');
const { ObservabilityModule, Traced, Counted, Timed, Observed } = require('../dist');
const { UnsampledSpan } = require('../dist/tracing/sampling/unsampled.span');
const { median, mad, roundOrder, medianDifference, medianRatio } = require('./lib/stats');
const { makeCallLoop, workClasses } = require('./lib/timing');

const quick = process.argv.includes('--quick');
const FAST_ITERATIONS = quick ? 400_000 : 2_000_000; // plain and unsampled rows
const SPAN_ITERATIONS = quick ? 50_000 : 200_000; // rows that create a span (~1–3 µs each)
const CHUNK = 8192; // calls between two event-loop turns (< the processor's queue)
const ROUNDS = quick ? 3 : 9;
const WARMUP_ROUNDS = 2;

// ---------------------------------------------------------------------------------------------
// OpenTelemetry: one provider, made global (nestjs-otel's @Span() calls trace.getTracer() on each
// call; ObservabilityModule without `tracerProvider` resolves the global provider too, as it does
// in production behind startObservabilitySdk()).
// ---------------------------------------------------------------------------------------------

const SUCCESS = 0;
const exportedByTracer = new Map();
const countingExporter = {
  export(spans, done) {
    for (let i = 0; i < spans.length; i++) {
      const scope = spans[i].instrumentationScope.name;
      exportedByTracer.set(scope, (exportedByTracer.get(scope) ?? 0) + 1);
    }
    done({ code: SUCCESS });
  },
  shutdown: () => Promise.resolve(),
  forceFlush: () => Promise.resolve(),
};
const processor = new BatchSpanProcessor({ exporter: countingExporter, maxQueueSize: 4 * CHUNK, maxExportBatchSize: 512, scheduledDelayMillis: 1000 });
const provider = new TracerProvider({ sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }), spanProcessors: [processor] });
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);

// ---------------------------------------------------------------------------------------------
// Providers: one class per variant, the same tiny body everywhere.
// ---------------------------------------------------------------------------------------------

const { PlainService, TracedService, OtelSpanService, StackedService, ObservedService, ClassTracedService } = workClasses(
  'PlainService',
  'TracedService',
  'OtelSpanService',
  'StackedService',
  'ObservedService',
  'ClassTracedService',
);
decorateMethod(TracedService, 'work', [Traced()]);
decorateMethod(OtelSpanService, 'work', [Span()]);
decorateMethod(StackedService, 'work', [Counted(), Timed(), Traced()]); // = @Counted() @Timed() @Traced() work() {}
decorateMethod(ObservedService, 'work', [Observed()]);
Reflect.decorate([Traced()], ClassTracedService); // = @Traced() on the class

const providers = [PlainService, TracedService, OtelSpanService, StackedService, ObservedService, ClassTracedService];
for (const p of providers) Reflect.decorate([Injectable()], p);

class BenchModule {}
Reflect.decorate([Module({ imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false, http: false }, tracing: {} })], providers })], BenchModule);

// ---------------------------------------------------------------------------------------------
// Loops: one compiled loop per variant (own type feedback, bench/lib/timing.js), run inside the
// variant's context, in chunks separated by an event-loop turn.
// ---------------------------------------------------------------------------------------------

const turn = () => new Promise((resolve) => setImmediate(resolve));
let sink = 0;

async function timeOnce(variant) {
  return context.with(variant.context, async () => {
    const start = process.hrtime.bigint();
    for (let done = 0; done < variant.iterations; done += CHUNK) {
      sink = (sink + variant.loop(variant.target, Math.min(CHUNK, variant.iterations - done))) | 0;
      await turn();
    }
    const elapsed = process.hrtime.bigint() - start;
    return Number(elapsed) / variant.iterations;
  });
}

const OURS = 'nestjs-observability';
const NESTJS_OTEL = 'nestjs-otel';

async function main() {
  const app = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  await app.init();

  // Contexts: a real recording (sampled) parent span, and a remote parent that is not sampled.
  const parentSpan = provider.getTracer('bench-parent').startSpan('parent');
  const sampledParent = trace.setSpan(ROOT_CONTEXT, parentSpan);
  const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.NONE,
    isRemote: true,
  });

  // The request fast path's context for a request it did not sample (no ids made).
  const fastPathUnsampled = trace.setSpan(ROOT_CONTEXT, new UnsampledSpan(123456789));

  // The floor: what the SDK itself costs for one child span made active around the call.
  const handTracer = provider.getTracer('hand-written');
  const handTarget = {
    work(x) {
      const span = handTracer.startSpan('HandService.work', undefined, context.active());
      try {
        return context.with(trace.setSpan(context.active(), span), () => x & 1);
      } finally {
        span.end();
      }
    },
  };

  const plain = app.get(PlainService);
  const traced = app.get(TracedService);
  const otel = app.get(OtelSpanService);
  const variants = [
    { id: 'plain', label: 'plain method', target: plain, context: sampledParent, iterations: FAST_ITERATIONS },
    { id: 'traced.sampled', label: '@Traced(), sampled', target: traced, context: sampledParent, iterations: SPAN_ITERATIONS, baseline: 'plain', spans: OURS },
    { id: 'otel.sampled', label: 'nestjs-otel @Span(), sampled', target: otel, context: sampledParent, iterations: SPAN_ITERATIONS, baseline: 'plain', spans: NESTJS_OTEL },
    { id: 'ref.hand', label: 'ref: tracer.startSpan + context.with + end, by hand, sampled', target: handTarget, context: sampledParent, iterations: SPAN_ITERATIONS, baseline: 'plain', spans: 'hand-written' },
    { id: 'classTraced.sampled', label: '@Traced() on the class, sampled', target: app.get(ClassTracedService), context: sampledParent, iterations: SPAN_ITERATIONS, baseline: 'plain', spans: OURS },
    { id: 'stacked.sampled', label: '@Counted() @Timed() @Traced(), sampled', target: app.get(StackedService), context: sampledParent, iterations: SPAN_ITERATIONS, baseline: 'plain', spans: OURS },
    { id: 'observed.sampled', label: '@Observed(), sampled', target: app.get(ObservedService), context: sampledParent, iterations: SPAN_ITERATIONS, baseline: 'plain', spans: OURS },
    { id: 'traced.unsampled', label: '@Traced(), parent not sampled', target: traced, context: unsampledParent, iterations: FAST_ITERATIONS, baseline: 'plain' },
    { id: 'otel.unsampled', label: 'nestjs-otel @Span(), parent not sampled', target: otel, context: unsampledParent, iterations: FAST_ITERATIONS, baseline: 'plain' },
    { id: 'stacked.unsampled', label: '@Counted() @Timed() @Traced(), parent not sampled', target: app.get(StackedService), context: unsampledParent, iterations: FAST_ITERATIONS, baseline: 'plain' },
    { id: 'observed.unsampled', label: '@Observed(), parent not sampled', target: app.get(ObservedService), context: unsampledParent, iterations: FAST_ITERATIONS, baseline: 'plain' },
    { id: 'traced.fastPath', label: '@Traced(), in a request the fast path did not sample', target: traced, context: fastPathUnsampled, iterations: FAST_ITERATIONS, baseline: 'plain' },
  ];
  for (const v of variants) {
    v.loop = makeCallLoop(v.id);
    v.samples = [];
  }

  for (let r = 0; r < WARMUP_ROUNDS; r++) for (const v of variants) await timeOnce(v);
  for (let r = 0; r < ROUNDS; r++) for (const v of roundOrder(variants, r)) v.samples.push(await timeOnce(v));

  // Every sampled call exported exactly one span, the unsampled ones none.
  await processor.forceFlush();
  const runs = WARMUP_ROUNDS + ROUNDS;
  const exported = Object.fromEntries(exportedByTracer);
  for (const scope of [OURS, NESTJS_OTEL, 'hand-written']) {
    const expected = variants.filter((v) => v.spans === scope).reduce((a, v) => a + v.iterations * runs, 0);
    if ((exported[scope] ?? 0) !== expected) throw new Error(`tracer "${scope}" exported ${exported[scope] ?? 0} spans, expected ${expected}`);
  }

  const byId = Object.fromEntries(variants.map((v) => [v.id, v]));
  const rows = variants.map((v) => {
    const row = { id: v.id, label: v.label, iterations: v.iterations, rounds: ROUNDS, nsPerCall: median(v.samples), madNs: mad(v.samples), samples: v.samples };
    if (v.baseline) {
      row.baseline = v.baseline;
      row.overheadNs = medianDifference(v.samples, byId[v.baseline].samples);
    }
    return row;
  });
  // @Traced() against nestjs-otel's @Span(), per round.
  const ratio = (a, b) => medianRatio(byId[a].samples, byId[b].samples);
  rows.find((r) => r.id === 'traced.sampled').ratioToNestjsOtel = ratio('traced.sampled', 'otel.sampled');
  rows.find((r) => r.id === 'traced.unsampled').ratioToNestjsOtel = ratio('traced.unsampled', 'otel.unsampled');
  // @Observed() against the three decorators stacked, and class-level against method-level @Traced(), per round.
  rows.find((r) => r.id === 'observed.sampled').ratioToStacked = ratio('observed.sampled', 'stacked.sampled');
  rows.find((r) => r.id === 'observed.unsampled').ratioToStacked = ratio('observed.unsampled', 'stacked.unsampled');
  rows.find((r) => r.id === 'classTraced.sampled').ratioToMethodLevel = ratio('classTraced.sampled', 'traced.sampled');
  // @Traced() sampled against the SDK's own floor (startSpan + context.with + end by hand), per round.
  rows.find((r) => r.id === 'traced.sampled').ratioToFloor = ratio('traced.sampled', 'ref.hand');

  // Not timed: does @Traced() create a span under a *remote* sampled parent (a context extracted from
  // an incoming traceparent by user code or a messaging instrumentation)? Such a parent is a
  // NonRecordingSpan whose flags say "sampled"; nestjs-otel's @Span() (the SDK's sampler) follows them.
  const remoteSampledParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b8',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  const before = { ours: exportedByTracer.get(OURS), otel: exportedByTracer.get(NESTJS_OTEL) };
  context.with(remoteSampledParent, () => {
    traced.work(1);
    otel.work(1);
  });
  await processor.forceFlush();
  const underRemoteSampledParent = {
    traced: exportedByTracer.get(OURS) - before.ours,
    nestjsOtel: exportedByTracer.get(NESTJS_OTEL) - before.otel,
  };

  parentSpan.end();
  await app.close();
  await provider.shutdown();
  process.stdout.write(JSON.stringify({ rows, exported, underRemoteSampledParent, chunk: CHUNK, sink }) + '\n');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
