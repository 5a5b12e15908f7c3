import { propagation, Tracer } from '@opentelemetry/api';
import { getObservabilitySdk, ObservabilitySdk } from '../sdk/observability-sdk';
import { TraceSampling } from './trace-sampling';

/** Where the fast path applies: the SDK's sampling, and the headers that carry an incoming context. */
export interface FastPath {
  readonly sampling: TraceSampling;
  /** The global propagator's fields (`traceparent`, `tracestate`, `baggage`): none present, no parent. */
  readonly fields: readonly string[];
}

interface SdkTracerInternals {
  _getTracer?: () => SdkTracerInternals | undefined;
  _sampler?: unknown;
  _idGenerator?: unknown;
}

/**
 * Says whether the module's request fast path may decide sampling before the SDK, and with what: only
 * when the spans of `tracer` are made by the SDK that `startObservabilitySdk()` started, with the
 * sampler and id generator of its `TraceSampling`. Anything else (a `tracing.tracerProvider`, an SDK of
 * the user's, an `OTEL_TRACES_SAMPLER` the policy cannot express) keeps every request on the SDK path.
 * The answer is kept until the process's SDK changes (one property read per request).
 */
export class FastPathResolver {
  private handle: ObservabilitySdk | undefined | null = null;
  private fastPath: FastPath | null = null;

  constructor(
    private readonly tracer: Tracer,
    private readonly enabled: boolean,
  ) {}

  current(): FastPath | null {
    if (!this.enabled) return null;
    const handle = getObservabilitySdk();
    if (handle !== this.handle) {
      this.handle = handle;
      this.fastPath = resolve(this.tracer, handle);
    }
    return this.fastPath;
  }
}

function resolve(tracer: Tracer, handle: ObservabilitySdk | undefined): FastPath | null {
  const sampling = handle?.sampling;
  if (!sampling) return null;
  // The module's tracer is the API's proxy: check that the SDK tracer behind it is that SDK's.
  const proxy = tracer as unknown as SdkTracerInternals;
  const delegate = typeof proxy._getTracer === 'function' ? proxy._getTracer() : proxy;
  if (delegate?._sampler !== sampling.sampler || delegate._idGenerator !== sampling.idGenerator) return null;
  return { sampling, fields: propagation.fields().map((field) => field.toLowerCase()) };
}
