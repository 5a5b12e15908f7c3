import { trace, Tracer } from '@opentelemetry/api';
import { OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { activeWhen, ObservabilityPart } from '../observability-part.interface';
import { observabilityPackageVersion } from '../package-version.util';
import { HandlerTracingInstaller } from './handler-tracing.installer';
import { HandlerTracingInstrumenter } from './handler-tracing.instrumenter';
import { HttpTracingListener } from './http-tracing.listener';
import { ObservabilityInterceptor } from './observability.interceptor';
import { TracedInstrumenter } from './traced.instrumenter';
import { TracingLifecycle } from './tracing.lifecycle';
import { TracingService } from './tracing.service';

/** Tokens of the tracing part's instrumenters and request listener, `null` when `tracing` is off. */
const TRACED = Symbol('nestjs-observability:traced-instrumenter');
const HANDLERS = Symbol('nestjs-observability:handler-tracing-instrumenter');
const HTTP_TRACING = Symbol('nestjs-observability:http-tracing-listener');

const tracingOn = (options: ResolvedObservabilityOptions): boolean => options.tracing.enabled;

/** Tracing: the server span of each request (adapter hook), route and RPC handler spans, `@Traced()`, `TracingService`. */
export const tracingPart: ObservabilityPart = {
  providers: [
    {
      provide: OBSERVABILITY_TRACER,
      inject: [OBSERVABILITY_RESOLVED_OPTIONS],
      // The global provider is the API's proxy: it reaches an SDK registered later, at call time.
      useFactory: (options: ResolvedObservabilityOptions): Tracer =>
        (options.tracing.tracerProvider ?? trace.getTracerProvider()).getTracer(options.tracing.tracerName, observabilityPackageVersion()),
    },
    TracedInstrumenter,
    HandlerTracingInstrumenter,
    activeWhen(TRACED, TracedInstrumenter, tracingOn),
    activeWhen(HANDLERS, HandlerTracingInstrumenter, tracingOn),
    {
      provide: HTTP_TRACING,
      inject: [OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER],
      useFactory: (options: ResolvedObservabilityOptions, tracer: Tracer): HttpTracingListener | null =>
        options.tracing.enabled
          ? new HttpTracingListener(tracer, {
              excludePaths: options.tracing.excludePaths,
              trustIncomingSampling: options.tracing.trustIncomingSampling,
              fastPath: options.tracing.tracerProvider === null,
            })
          : null,
    },
    HandlerTracingInstaller,
    TracingService,
    TracingLifecycle,
    ObservabilityInterceptor,
  ],
  instrumenters: [TRACED, HANDLERS],
  exchangeListeners: [HTTP_TRACING],
  exports: [TracingService, ObservabilityInterceptor, OBSERVABILITY_TRACER],
};
