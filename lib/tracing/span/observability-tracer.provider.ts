import type { Sampler, TracerOptions, TracerProvider } from '@opentelemetry/api';
import type { ObservabilitySpan } from './observability.span';
import { ObservabilityTracer, type SpanIdSource, type TracerScope } from './observability.tracer';
import { SpanClock } from './span-time';
import type { SpanLimits } from './span-limits';

/** Where ended spans go: the encoded path's processor. */
export interface OwnSpanSink {
  onEndOwn(span: ObservabilitySpan, scope: TracerScope, resource: any): void;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * The global `TracerProvider` of the owned path: `startObservabilitySdk()` registers it instead of the
 * SDK's when the spans go to the encoded path (OTLP/HTTP protobuf from the worker thread) and nothing of
 * the user's needs the SDK's span. One tracer per name, version and schema URL, as the SDK keeps them.
 *
 * @example
 * const provider = new ObservabilityTracerProvider({ resource, sampler, idGenerator, limits, sink });
 */
export class ObservabilityTracerProvider implements TracerProvider {
  private readonly tracers = new Map<string, ObservabilityTracer>();
  private readonly clock = new SpanClock();

  constructor(
    private readonly options: {
      resource: unknown;
      sampler: Sampler;
      idGenerator: SpanIdSource;
      limits: SpanLimits;
      /** `null` for exporter 'none': spans are recorded, and let go when they end. */
      sink: OwnSpanSink | null;
    },
  ) {}

  getTracer(name: string, version?: string, options?: TracerOptions): ObservabilityTracer {
    const key = `${name}@${version || ''}:${options?.schemaUrl || ''}`;
    let tracer = this.tracers.get(key);
    if (tracer === undefined) {
      const sink = this.options.sink;
      const resource = this.options.resource;
      tracer = new ObservabilityTracer(
        { name, version, schemaUrl: options?.schemaUrl },
        this.options.sampler,
        this.options.idGenerator,
        this.options.limits,
        this.clock,
        sink ? (span, scope) => sink.onEndOwn(span, scope, resource) : () => undefined,
      );
      this.tracers.set(key, tracer);
    }
    return tracer;
  }

  forceFlush(): Promise<void> {
    return this.options.sink?.forceFlush() ?? Promise.resolve();
  }

  shutdown(): Promise<void> {
    return this.options.sink?.shutdown() ?? Promise.resolve();
  }
}
