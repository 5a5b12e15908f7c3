import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { Context, context, Span, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, ReadableSpan } from '@opentelemetry/sdk-trace';
import request from 'supertest';
import { ObservabilityModule, ObservabilitySdk, startObservabilitySdk } from '../../lib';
import { UnsampledSpan } from '../../lib/tracing/sampling/unsampled.span';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';

/** What one request's handler left behind: its context as a timer would capture it, and a background job. */
interface Left {
  captured: Context;
  duringRequest: Span;
  /** Resolving it runs, in the request's context, a job that starts and ends a span. */
  release: () => void;
  background: Promise<Span>;
}

const left: Left[] = [];

@Controller('job')
class JobController {
  @Get()
  job(): { ok: true } {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // `then` runs its callback in the context it was called in, as a timer made here would.
    const background = gate.then(() => {
      const span = trace.getTracer('test').startSpan('background job');
      span.end();
      return span;
    });
    left.push({ captured: context.active(), duringRequest: trace.getActiveSpan()!, release, background });
    return { ok: true };
  }
}

@Module({ controllers: [JobController] })
class JobModule {}

describe.each(PLATFORMS)('the request context after the response (%s)', (platform) => {
  let sdk: ObservabilitySdk | undefined;
  let app: INestApplication | undefined;
  let exporter: InMemorySpanExporter;

  async function start(sampleRatio: number): Promise<void> {
    left.length = 0;
    exporter = new InMemorySpanExporter();
    sdk = startObservabilitySdk({ sampleRatio, exporter, scheduledDelayMillis: 20 });
    app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot({ health: false, metrics: false }), JobModule] });
    await app.listen(0, '127.0.0.1');
  }

  /** Until the server span has ended (it ends when the response closes, right after the release). */
  async function serverSpan(): Promise<ReadableSpan> {
    for (;;) {
      await sdk!.forceFlush();
      const found = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER);
      if (found !== undefined) return found;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  afterEach(async () => {
    await app?.close();
    await sdk?.shutdown();
    app = sdk = undefined;
  });

  it('keeps only the sampled span ids in the captured context, and a background span still has the request span as parent', async () => {
    await start(1);
    await request(app!.getHttpServer()).get('/job').expect(200);
    const server = await serverSpan();
    const [{ captured, duringRequest, release, background }] = left;
    // During the request, the active span was the SDK's own server span.
    expect(duringRequest).toBe(server as unknown as Span);
    // After it, the context that timers and promises made in the request keep no longer reaches that span.
    const after = trace.getSpan(captured)!;
    expect(after).not.toBe(duringRequest);
    expect(after.isRecording()).toBe(false);
    expect(after.spanContext()).toEqual(server.spanContext());
    expect(Object.keys(after)).not.toContain('attributes');
    release();
    const job = (await background) as unknown as ReadableSpan;
    expect(job.spanContext().traceId).toBe(server.spanContext().traceId);
    expect(job.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    await sdk!.forceFlush();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toContain('background job');
  });

  it('keeps the unsampled span and the ids it gave out: a background call still propagates them with flags 00', async () => {
    await start(0);
    await request(app!.getHttpServer()).get('/job').expect(200);
    const [{ captured, duringRequest, release, background }] = left;
    expect(duringRequest).toBeInstanceOf(UnsampledSpan);
    const { traceId, spanId } = duringRequest.spanContext();
    // The server span's end is what releases; with nothing sampled, wait for the response's close instead.
    await new Promise((resolve) => setImmediate(resolve));
    const after = trace.getSpan(captured)!;
    expect(after).toBe(duringRequest);
    expect(after.spanContext()).toMatchObject({ traceId, spanId, traceFlags: 0 });
    release();
    const job = await background;
    expect(job.isRecording()).toBe(false);
    expect(job.spanContext().traceId).toBe(traceId);
  });
});
