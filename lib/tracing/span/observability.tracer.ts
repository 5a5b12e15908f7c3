import { context as api, type Context, type Span, type SpanOptions, SamplingDecision, type Sampler, trace, TraceFlags, type Tracer, type SpanContext, createContextKey } from '@opentelemetry/api';
import { ObservabilitySpan, type SpanHome } from './observability.span';
import type { SpanClock } from './span-time';
import type { SpanLimits } from './span-limits';

/** The key under which @opentelemetry/core marks a context whose tracing is suppressed. */
const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

/** Makes the ids of new spans (the module's `PresetTraceIdGenerator`). */
export interface SpanIdSource {
  generateTraceId(): string;
  generateSpanId(): string;
}

/** The instrumentation scope of a tracer. */
export interface TracerScope {
  name: string;
  version?: string;
  schemaUrl?: string;
}

/**
 * The tracer of the owned path: decides sampling with the module's sampler (`ObservabilitySampler`)
 * and ids with its generator, as the SDK's `Tracer` does in the same order, and makes an
 * `ObservabilitySpan` for a sampled span, a non-recording span otherwise. `_sampler` and `_idGenerator`
 * have the SDK tracer's names, which the request fast path checks (`FastPathResolver`).
 */
export class ObservabilityTracer implements Tracer, SpanHome {
  constructor(
    readonly instrumentationScope: TracerScope,
    readonly _sampler: Sampler,
    readonly _idGenerator: SpanIdSource,
    readonly limits: SpanLimits,
    readonly clock: SpanClock,
    private readonly sink: (span: ObservabilitySpan, scope: TracerScope) => void,
  ) {}

  ended(span: ObservabilitySpan): void {
    this.sink(span, this.instrumentationScope);
  }

  startSpan(name: string, options: SpanOptions = {}, context: Context = api.active()): Span {
    if (options.root) context = trace.deleteSpan(context);
    if (context.getValue(SUPPRESS_TRACING_KEY) === true) return trace.wrapSpanContext({ traceId: '00000000000000000000000000000000', spanId: '0000000000000000', traceFlags: TraceFlags.NONE });
    const parent: SpanContext | undefined = trace.getSpan(context)?.spanContext();
    const spanId = this._idGenerator.generateSpanId();
    const valid = parent !== undefined && trace.isSpanContextValid(parent);
    const traceId = valid ? parent.traceId : this._idGenerator.generateTraceId();
    const kind = options.kind ?? 0;
    const result = this._sampler.shouldSample(context, traceId, name, kind, options.attributes ?? {}, options.links ?? []);
    const traceState = result.traceState ?? (valid ? parent.traceState : undefined);
    const sampled = result.decision === SamplingDecision.RECORD_AND_SAMPLED;
    const spanContext: SpanContext = { traceId, spanId, traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE, traceState };
    if (result.decision === SamplingDecision.NOT_RECORD) return trace.wrapSpanContext(spanContext);
    const attributes = result.attributes ? { ...options.attributes, ...result.attributes } : options.attributes;
    return new ObservabilitySpan(this, spanContext, name, kind, valid ? parent.spanId : '', valid ? parent.isRemote === true : false, attributes, options.links, options.startTime);
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    let options: SpanOptions | undefined;
    let ctx: Context | undefined;
    let fn: F;
    if (rest.length === 1) fn = rest[0] as F;
    else if (rest.length === 2) [options, fn] = rest as [SpanOptions, F];
    else [options, ctx, fn] = rest as [SpanOptions, Context, F];
    const parent = ctx ?? api.active();
    const span = this.startSpan(name, options, parent);
    return api.with(trace.setSpan(parent, span), fn as (span: Span) => ReturnType<F>, undefined, span);
  }
}
