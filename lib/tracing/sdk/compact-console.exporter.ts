import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';

/** `ExportResultCode.SUCCESS` of `@opentelemetry/core` (not imported: the SDK packages load lazily). */
const SUCCESS = 0;

const KINDS = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

/** Attributes that the line already shows (in the span name) or that are noise when reading spans by eye. */
const OMITTED = new Set([
  'http.request.method',
  'http.route',
  'url.scheme',
  'server.address',
  'server.port',
  'client.address',
  'user_agent.original',
  'network.protocol.version',
]);

/** Options of {@link CompactConsoleSpanExporter}. */
export interface CompactConsoleOptions {
  /**
   * Where the lines go.
   * @default text => process.stdout.write(text)
   */
  write?: (text: string) => void;
}

/**
 * The `'console'` exporter of `startObservabilitySdk()`: one line per span, prefixed with the service name
 * and the process id, so that several processes writing to one terminal stay readable:
 *
 * `[orders-sample 4242] SERVER POST /orders 201 12.4ms trace=4bf9…4736 span=00f0…02b7 parent=- url.path=/orders`
 *
 * (The OpenTelemetry `ConsoleSpanExporter` prints ~45 lines per span, resource included; pass
 * `exporter: new ConsoleSpanExporter()` from `@opentelemetry/sdk-trace` for that.)
 */
export class CompactConsoleSpanExporter implements SpanExporter {
  private readonly write: (text: string) => void;

  constructor(options: CompactConsoleOptions = {}) {
    this.write = options.write ?? ((text) => void process.stdout.write(text));
  }

  export(spans: ReadableSpan[], resultCallback: (result: { code: number }) => void): void {
    if (spans.length > 0) this.write(spans.map((span) => `${this.format(span)}\n`).join(''));
    resultCallback({ code: SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  /** One span as one line. */
  format(span: ReadableSpan): string {
    const service = String(span.resource?.attributes?.['service.name'] ?? 'unknown_service');
    const [seconds, nanos] = span.duration;
    const ms = seconds * 1e3 + nanos / 1e6;
    const status = span.status.code === 2 ? ` ERROR${span.status.message ? `(${oneLine(span.status.message)})` : ''}` : '';
    const code = span.attributes['http.response.status_code'];
    const parent = span.parentSpanContext?.spanId ?? '-';
    const attributes = Object.entries(span.attributes)
      .filter(([key]) => !OMITTED.has(key) && key !== 'http.response.status_code')
      .map(([key, value]) => ` ${key}=${oneLine(Array.isArray(value) ? value.join(',') : String(value))}`)
      .join('');
    const context = span.spanContext();
    return (
      `[${service} ${process.pid}] ${KINDS[span.kind] ?? span.kind} ${span.name}${code !== undefined ? ` ${code}` : ''} ${ms.toFixed(1)}ms${status}` +
      ` trace=${context.traceId} span=${context.spanId} parent=${parent}${attributes}`
    );
  }
}

/** A value on one line, at most 120 characters. */
function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 120 ? `${flat.slice(0, 119)}…` : flat;
}
