import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import { context, ROOT_CONTEXT, SamplingDecision, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter, ParentBasedSampler, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace';
import { Agent, request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import request from 'supertest';
import { ObservabilityLogger, ObservabilityModule, ObservabilitySdk, startObservabilitySdk, TracingService } from '../../lib';
import { HttpAdapterHook } from '../../lib/instrumentation/http-adapter.hook';
import { HttpTracingListener } from '../../lib/tracing/http-tracing.listener';
import { UnsampledSpan } from '../../lib/tracing/sampling/unsampled.span';
import { createTestApp, Platform, PLATFORMS } from '../fixtures/create-test-app';
import { downstream, ItemsModule } from '../fixtures/tracing.app';
import { HeaderSink, startHeaderSink } from '../support/header-sink';

/** What the handler saw of its request's span. */
interface Seen {
  traceId: string;
  sampled: boolean;
  /** The span is the fast path's (no SDK span was made). */
  fastPath: boolean;
}

@Controller('seen')
class SeenController {
  constructor(private readonly tracing: TracingService) {}

  @Get()
  seen(): Seen {
    const span = this.tracing.getActiveSpan()!;
    const { traceId, traceFlags } = span.spanContext();
    return { traceId, sampled: (traceFlags & TraceFlags.SAMPLED) !== 0, fastPath: span instanceof UnsampledSpan };
  }
}

const jsonLogger = new ObservabilityLogger('Test', { json: true, colors: false });

@Controller('log')
class LogController {
  constructor(private readonly tracing: TracingService) {}

  @Get()
  log(): { traceId?: string; spanId?: string } {
    jsonLogger.log('in request');
    return { traceId: this.tracing.getTraceId(), spanId: this.tracing.getSpanId() };
  }
}

@Module({ controllers: [SeenController, LogController] })
class SeenModule {}

const randomHex = (digits: number) => Array.from({ length: digits }, () => Math.floor(Math.random() * 16).toString(16)).join('');

/** GETs `path` with `headers` on a keep-alive agent; resolves the JSON body. */
function getJson<T>(agent: Agent, port: number, path: string, headers: Record<string, string> = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(body)) : reject(new Error(`${res.statusCode} ${body}`))));
    })
      .on('error', reject)
      .end();
  });
}

interface Sent {
  /** The incoming parent, if the request carried a traceparent. */
  parent?: { traceId: string; sampled: boolean };
  seen: Seen;
}

/** Sends `count` requests to /seen, 32 at a time; every 5th carries a traceparent, sampled or not. */
async function sendMany(port: number, count: number): Promise<Sent[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const sent: Sent[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const parent = i % 5 === 4 ? { traceId: randomHex(32), sampled: Math.random() < 0.5 } : undefined;
      const headers: Record<string, string> = parent ? { traceparent: `00-${parent.traceId}-${randomHex(16)}-${parent.sampled ? '01' : '00'}` } : {};
      sent.push({ parent, seen: await getJson<Seen>(agent, port, '/seen', headers) });
    }
  };
  try {
    await Promise.all(Array.from({ length: 32 }, worker));
  } finally {
    agent.destroy();
  }
  return sent;
}

/** OpenTelemetry's own decision for a request, on the trace id the request ended up with. */
function otelDecision(sampler: ParentBasedSampler, sent: Sent): boolean {
  const parent = sent.parent;
  const parentContext = parent
    ? trace.setSpanContext(ROOT_CONTEXT, { traceId: parent.traceId, spanId: '00f067aa0ba902b7', traceFlags: parent.sampled ? 1 : 0, isRemote: true })
    : ROOT_CONTEXT;
  return sampler.shouldSample(parentContext, sent.seen.traceId, 'GET', SpanKind.SERVER, {}, []).decision === SamplingDecision.RECORD_AND_SAMPLED;
}

describe('sampling before the SDK (the request fast path)', () => {
  let sdk: ObservabilitySdk | undefined;
  let app: INestApplication | undefined;
  let exporter: InMemorySpanExporter;

  async function start(platform: Platform, sampleRatio: number, tracing: { trustIncomingSampling?: boolean } = {}, imports: any[] = [SeenModule]): Promise<number> {
    exporter = new InMemorySpanExporter();
    sdk = startObservabilitySdk({ sampleRatio, exporter, scheduledDelayMillis: 20, maxQueueSize: 20_000 });
    app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot({ tracing, health: false }), ...imports] });
    await app.listen(0, '127.0.0.1');
    return (app.getHttpServer().address() as AddressInfo).port;
  }

  afterEach(async () => {
    await app?.close();
    await sdk?.shutdown();
    app = sdk = undefined;
  });

  async function exportedServerTraceIds(): Promise<string[]> {
    await sdk!.forceFlush();
    return exporter
      .getFinishedSpans()
      .filter((s) => s.kind === SpanKind.SERVER)
      .map((s) => s.spanContext().traceId);
  }

  it('decides as ParentBased(TraceIdRatioBased(0.1)) on the same trace ids, over 10,000 requests through the adapter hook', async () => {
    exporter = new InMemorySpanExporter();
    sdk = startObservabilitySdk({ sampleRatio: 0.1, exporter, scheduledDelayMillis: 20, maxQueueSize: 20_000 });
    const tracer = trace.getTracerProvider().getTracer('nestjs-observability');
    const listener = new HttpTracingListener(tracer, { excludePaths: [], trustIncomingSampling: true, fastPath: true });
    const observe = (new HttpAdapterHook([listener], undefined) as any).createObserver(false);
    const sent: Sent[] = [];
    for (let i = 0; i < 10_000; i++) {
      const parent = i % 5 === 4 ? { traceId: randomHex(32), sampled: Math.random() < 0.5 } : undefined;
      const headers: Record<string, string> = { host: 'localhost' };
      if (parent) headers.traceparent = `00-${parent.traceId}-${randomHex(16)}-${parent.sampled ? '01' : '00'}`;
      let close = () => {};
      const response = { statusCode: 200, writableFinished: true, once: (_event: string, fn: () => void) => (close = fn) };
      // What the handler would see, read where the handler would run.
      observe({ url: '/seen', method: 'GET', headers, httpVersion: '1.1', socket: {} }, response, () => {
        const span = trace.getSpan(context.active())!;
        const { traceId, traceFlags } = span.spanContext();
        sent.push({ parent, seen: { traceId, sampled: (traceFlags & TraceFlags.SAMPLED) !== 0, fastPath: span instanceof UnsampledSpan } });
      });
      close();
    }
    checkDecisions(sent, new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }));
    expect((await exportedServerTraceIds()).sort()).toEqual(sent.filter((s) => s.seen.sampled).map((s) => s.seen.traceId).sort());
    expect(sdk.stats.dropped).toBe(0);
  });

  function checkDecisions(sent: Sent[], otel: ParentBasedSampler): void {
    const mismatches = sent.filter((s) => otelDecision(otel, s) !== s.seen.sampled);
    expect(mismatches).toEqual([]);
    // Incoming parents are continued; new traces get distinct ids.
    for (const s of sent) if (s.parent) expect(s.seen.traceId).toBe(s.parent.traceId);
    const roots = sent.filter((s) => !s.parent);
    expect(new Set(roots.map((s) => s.seen.traceId)).size).toBe(roots.length);
    // The ratio: 10% of new traces, within 5 standard deviations.
    const sampledRoots = roots.filter((s) => s.seen.sampled).length;
    const sd = Math.sqrt(roots.length * 0.1 * 0.9);
    expect(Math.abs(sampledRoots - roots.length * 0.1)).toBeLessThan(5 * sd);
    // Unsampled requests made no SDK span.
    expect(sent.every((s) => s.seen.fastPath === !s.seen.sampled)).toBe(true);
  }

  it.each([
    ['express', 1_500],
    ['fastify', 1_500],
  ] as [Platform, number][])('decides as ParentBased(TraceIdRatioBased(0.1)) on the same trace ids, over %s requests (%s)', async (platform, count) => {
    const port = await start(platform, 0.1);
    const sent = await sendMany(port, count);
    checkDecisions(sent, new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0.1) }));
    // Sampled requests are exactly the exported server spans.
    const exported = await exportedServerTraceIds();
    expect(exported.sort()).toEqual(sent.filter((s) => s.seen.sampled).map((s) => s.seen.traceId).sort());
    expect(sdk!.stats.dropped).toBe(0);
  }, 60_000);

  it('applies the ratio to a sampled incoming parent with trustIncomingSampling: false, as ParentBased(remoteParentSampled: TraceIdRatioBased) would', async () => {
    const port = await start('express', 0.1, { trustIncomingSampling: false });
    const sent = await sendMany(port, 1_500);
    const ratio = new TraceIdRatioBasedSampler(0.1);
    const otel = new ParentBasedSampler({ root: ratio, remoteParentSampled: ratio });
    expect(sent.filter((s) => otelDecision(otel, s) !== s.seen.sampled)).toEqual([]);
    const sampledParents = sent.filter((s) => s.parent?.sampled);
    expect(sampledParents.filter((s) => s.seen.sampled).length).toBeLessThan(sampledParents.length / 2);
    expect((await exportedServerTraceIds()).sort()).toEqual(sent.filter((s) => s.seen.sampled).map((s) => s.seen.traceId).sort());
  }, 60_000);

  describe.each(PLATFORMS)('on %s, with nothing sampled', (platform) => {
    let sink: HeaderSink;

    beforeAll(async () => {
      sink = await startHeaderSink();
      downstream.url = sink.url;
    });
    afterAll(() => sink.close());
    beforeEach(() => {
      sink.received.length = 0;
    });

    it('propagates sampled=0 on outgoing fetch() and http calls, with the ids the handler sees', async () => {
      await start(platform, 0, {}, [ItemsModule]);
      const res = await request(app!.getHttpServer()).get('/items/downstream').expect(200);
      expect(res.body.traceId).toMatch(/^[0-9a-f]{32}$/);
      expect(sink.received).toHaveLength(2);
      for (const headers of sink.received) expect(headers.traceparent).toBe(`00-${res.body.traceId}-${res.body.spanId}-00`);
      // Under an unsampled incoming parent: its trace id, a span id of this service, still 00.
      sink.received.length = 0;
      const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00';
      const child = await request(app!.getHttpServer()).get('/items/downstream').set('traceparent', parent).expect(200);
      expect(child.body.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
      expect(child.body.spanId).not.toBe('b7ad6b7169203331');
      for (const headers of sink.received) expect(headers.traceparent).toBe(`00-0af7651916cd43dd8448eb211c80319c-${child.body.spanId}-00`);
      expect(await exportedServerTraceIds()).toEqual([]);
    });

    it('records no exemplar for unsampled requests, and one for sampled ones', async () => {
      await start(platform, 0, {}, [ItemsModule]);
      await request(app!.getHttpServer()).get('/items/4').expect(200);
      const open = (await request(app!.getHttpServer()).get('/metrics').set('Accept', 'application/openmetrics-text').expect(200)).text;
      expect(open).toContain('http_server_request_duration_seconds_bucket{');
      expect(open).not.toContain('trace_id');
      // A sampled parent is followed: its trace id becomes the exemplar.
      await request(app!.getHttpServer()).get('/items/4').set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01').expect(200);
      const after = (await request(app!.getHttpServer()).get('/metrics').set('Accept', 'application/openmetrics-text').expect(200)).text;
      const exemplars = after.split('\n').filter((l) => l.includes('trace_id='));
      expect(exemplars.length).toBeGreaterThan(0);
      for (const line of exemplars) expect(line).toContain('trace_id="0af7651916cd43dd8448eb211c80319c"');
    });
  });

  it('gives log lines of an unsampled request the trace id that it propagates', async () => {
    await start('express', 0);
    const lines: string[] = [];
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: any) => {
      lines.push(String(chunk));
      return true;
    });
    let ids: { traceId?: string; spanId?: string };
    try {
      ids = (await request(app!.getHttpServer()).get('/log').expect(200)).body;
    } finally {
      write.mockRestore();
    }
    const line = JSON.parse(lines.find((l) => l.includes('in request'))!);
    expect(ids.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(line).toMatchObject({ trace_id: ids.traceId, span_id: ids.spanId });
  });
});
