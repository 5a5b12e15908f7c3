import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { CompactConsoleSpanExporter } from '../../lib/tracing/sdk/compact-console.exporter';

describe('CompactConsoleSpanExporter (the console exporter of startObservabilitySdk)', () => {
  it('writes one line per span: service and pid, kind, name, status code, duration, error, ids, own attributes', async () => {
    const lines: string[] = [];
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'orders-sample' }),
      spanProcessors: [new SimpleSpanProcessor({ exporter: new CompactConsoleSpanExporter({ write: (text) => lines.push(text) }) })],
    });
    const tracer = provider.getTracer('test');
    const server = tracer.startSpan('POST /orders', {
      kind: SpanKind.SERVER,
      attributes: {
        'http.request.method': 'POST',
        'http.route': '/orders',
        'url.path': '/orders',
        'user_agent.original': 'curl/8.0',
        'http.response.status_code': 201,
      },
    });
    const child = tracer.startSpan('OrdersService.create', { attributes: { 'order.item': 'a\nmultiline value' } }, trace.setSpan(context.active(), server));
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'out of stock' });
    child.end();
    server.end();
    await provider.forceFlush();
    await provider.shutdown();

    const output = lines.join('');
    expect(output.split('\n').filter(Boolean)).toHaveLength(2);
    const [first, second] = output.trimEnd().split('\n');
    const { traceId, spanId } = server.spanContext();
    expect(first).toMatch(
      new RegExp(`^\\[orders-sample ${process.pid}\\] INTERNAL OrdersService\\.create \\d+\\.\\dms ERROR\\(out of stock\\) trace=${traceId} span=${child.spanContext().spanId} parent=${spanId} order\\.item=a multiline value$`),
    );
    expect(second).toMatch(new RegExp(`^\\[orders-sample ${process.pid}\\] SERVER POST /orders 201 \\d+\\.\\dms trace=${traceId} span=${spanId} parent=- url\\.path=/orders$`));
  });
});
