import { context, diag, DiagConsoleLogger, DiagLogLevel, metrics, propagation, trace } from '@opentelemetry/api';
import { MetricExportStats } from '../../metrics/otlp-push/metric-export.stats';
import { SdkMetricsPipeline } from '../../metrics/otlp-push/sdk-metrics.pipeline';
import type { ExportLogger } from './export-failure.reporter';
import type { ObservabilitySdk, ObservabilitySdkOptions } from './observability-sdk-options.interface';
import { createResource, numberFromEnv, propagatorFromEnv, samplerFromEnv, sdkDisabledByEnv, spanLimitsFromEnv } from './sdk-env';
import { SdkPackages } from './sdk-packages';
import { SpanExportStats } from './span-export.stats';
import { checkSdkOptions } from './sdk-options.validator';
import { checkSdkTimers } from './sdk-timers.validator';
import { createSpanPipeline } from './span-pipeline.factory';
import { createTraceSampling } from '../sampling/trace-sampling';
import { ObservabilityTracerProvider } from '../span/observability-tracer.provider';
import { spanLimitsFrom } from '../span/span-limits';
import { EncodedSpanProcessor } from './encoded-span.processor';

export type { ObservabilitySdk, ObservabilitySdkOptions } from './observability-sdk-options.interface';

const SDK_KEY = Symbol.for('nestjs-observability.sdk');

/**
 * Starts the OpenTelemetry SDK for traces: resource, OTLP/HTTP protobuf exporter, a bounded batch
 * processor whose drops are counted, a parent-based ratio sampler, W3C tracecontext and baggage
 * propagation, and the AsyncLocalStorage context manager. Call it before `NestFactory.create()`, or
 * preload `nestjs-observability/register`. `ObservabilityModule` flushes it on shutdown.
 *
 * It wires the SDK packages that `@opentelemetry/sdk-node` brings (resolved from sdk-node, so their
 * versions are sdk-node's) without loading `NodeSDK` itself, which requires every exporter, the logs
 * SDK and the instrumentation base: only what is used is loaded. It reads the same `OTEL_*` variables.
 *
 * @example
 * // main.ts
 * import { startObservabilitySdk } from 'nestjs-observability';
 * startObservabilitySdk({ serviceName: 'orders' });
 * const app = await NestFactory.create(AppModule);
 * app.enableShutdownHooks(); // flushes and stops the SDK on SIGTERM
 */
export function startObservabilitySdk(options: ObservabilitySdkOptions = {}): ObservabilitySdk {
  const existing = getObservabilitySdk();
  if (existing) return existing;
  const env = process.env;
  checkSdkTimers(options, env);
  checkSdkOptions(options, env);
  if (env.OTEL_LOG_LEVEL) diag.setLogger(new DiagConsoleLogger(), DiagLogLevel[env.OTEL_LOG_LEVEL.toUpperCase() as keyof typeof DiagLogLevel] ?? DiagLogLevel.WARN);
  const stats = new SpanExportStats();
  if (sdkDisabledByEnv()) return register(disabledHandle(stats));

  const packages = new SdkPackages();
  const traceSdk = packages.trace;
  let logger: ExportLogger | undefined = options.logger;
  // Nest's Logger is loaded at the first failure only; by then the app has usually configured it.
  const log = (): ExportLogger => (logger ??= new (require('@nestjs/common').Logger)('ObservabilitySdk'));

  const { spanProcessors, destination, exportPath } = createSpanPipeline(options, packages, stats, log);
  const attributes: Record<string, string> = {};
  if (options.serviceName) attributes['service.name'] = options.serviceName;
  if (options.serviceVersion) attributes['service.version'] = options.serviceVersion;
  if (options.environment) attributes['deployment.environment.name'] = options.environment;
  const resource = createResource(packages, attributes);

  // Context and propagation first: spans need them as soon as the provider is global.
  const contextManager = new (packages.contextAsyncHooks.AsyncLocalStorageContextManager)();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  const propagator = propagatorFromEnv(packages);
  if (propagator) propagation.setGlobalPropagator(propagator as Parameters<typeof propagation.setGlobalPropagator>[0]);

  // One sampling rule for the SDK and the module's request fast path (lib/tracing/sampling); null when
  // OTEL_TRACES_SAMPLER names a sampler it cannot express, which the SDK then builds from the environment.
  const sampling = createTraceSampling(options.sampleRatio, env);
  // The owned path: the module's own span (lib/tracing/span), encoded to OTLP when it ends, where nothing
  // of the user's needs the SDK's span (its exporter, the console, instrumentations, another sampler).
  const encoded = spanProcessors.length === 1 && spanProcessors[0] instanceof EncodedSpanProcessor ? spanProcessors[0] : null;
  const ownSpans = encoded !== null && sampling !== null && !options.instrumentations?.length;
  const tracerProvider: { getTracer(name: string): unknown; forceFlush(): Promise<void>; shutdown(): Promise<void> } = ownSpans
    ? new ObservabilityTracerProvider({ resource, sampler: sampling.sampler, idGenerator: sampling.idGenerator, limits: spanLimitsFrom(spanLimitsFromEnv()), sink: encoded })
    : new traceSdk.TracerProvider({
        resource,
        sampler: sampling ? sampling.sampler : createSampler(options, packages),
        ...(sampling ? { idGenerator: sampling.idGenerator } : {}),
        spanLimits: spanLimitsFromEnv(),
        spanProcessors,
      });
  const spanPath = ownSpans ? "; spans are the module's own (encoded at their end, nothing kept)" : "; spans are the SDK's";
  trace.setGlobalTracerProvider(tracerProvider as unknown as Parameters<typeof trace.setGlobalTracerProvider>[0]);
  // Loaded only when instrumentations are given: the instrumentation base is heavy.
  const metricsPipeline = options.metrics === false ? null : new SdkMetricsPipeline(packages, resource, options.metrics ?? {}, log);
  if (options.instrumentations?.length) {
    packages.require('@opentelemetry/instrumentation').registerInstrumentations({
      instrumentations: options.instrumentations.flat(),
      tracerProvider,
      ...(metricsPipeline ? { meterProvider: metrics.getMeterProvider() } : {}),
    });
  }

  let stopped: Promise<void> | null = null;
  const handle: ObservabilitySdk = {
    stats,
    destination,
    exportPath: exportPath + spanPath,
    sampling,
    metricsDestination: metricsPipeline?.destination ?? null,
    metricStats: metricsPipeline?.stats ?? new MetricExportStats(),
    addPrometheusRegistry: (registry, startedAt) => metricsPipeline?.addPrometheusRegistry(registry, startedAt) ?? (() => undefined),
    // The TracerProvider rejects with an array of reasons: callers get one Error that names them.
    forceFlush: () => Promise.all([tracerProvider.forceFlush(), metricsPipeline?.forceFlush()]).then(() => undefined, (reason: unknown) => Promise.reject(flushError(reason))),
    shutdown: () => {
      stopped ??= Promise.all([tracerProvider.shutdown(), metricsPipeline?.shutdown()])
        .then(() => undefined)
        .catch((error: unknown) => diag.warn(`nestjs-observability: SDK shutdown failed: ${String(error)}`))
        .finally(() => release(handle));
      return stopped!;
    },
  };
  return register(handle);
}

/** One Error for a flush that failed, whatever shape the SDK rejected with. */
function flushError(reason: unknown): Error {
  const reasons = Array.isArray(reason) ? reason : [reason];
  if (reasons.length === 1 && reasons[0] instanceof Error) return reasons[0];
  const messages = reasons.map((r) => (r instanceof Error ? r.message : String(r)));
  return new Error(`Flushing the OpenTelemetry SDK failed: ${messages.join('; ')}`, { cause: reason });
}

/** The SDK that `startObservabilitySdk()` started in this process, if any. */
export function getObservabilitySdk(): ObservabilitySdk | undefined {
  return (globalThis as Record<symbol, ObservabilitySdk | undefined>)[SDK_KEY];
}

/** The SDK is process-wide by nature (it registers the global providers); so is this handle. */
function register(handle: ObservabilitySdk): ObservabilitySdk {
  (globalThis as Record<symbol, unknown>)[SDK_KEY] = handle;
  return handle;
}

/** Releases the global registrations, so that a later SDK in this process can take them. */
function release(handle: ObservabilitySdk): void {
  if ((globalThis as Record<symbol, unknown>)[SDK_KEY] !== handle) return;
  delete (globalThis as Record<symbol, unknown>)[SDK_KEY];
  trace.disable();
  context.disable();
  propagation.disable();
  metrics.disable();
}

/** `OTEL_SDK_DISABLED=true`: nothing registered, spans stay no-ops, as with NodeSDK. */
function disabledHandle(stats: SpanExportStats): ObservabilitySdk {
  const handle: ObservabilitySdk = {
    stats,
    destination: 'nowhere (OTEL_SDK_DISABLED=true)',
    exportPath: 'none (OTEL_SDK_DISABLED=true)',
    metricsDestination: null,
    metricStats: new MetricExportStats(),
    addPrometheusRegistry: () => () => undefined,
    forceFlush: () => Promise.resolve(),
    shutdown: () => Promise.resolve(release(handle)),
  };
  return handle;
}

/**
 * The sampler: `OTEL_TRACES_SAMPLER` (with `OTEL_TRACES_SAMPLER_ARG`) when set, else a parent-based
 * ratio sampler at `sampleRatio`.
 */
function createSampler(options: ObservabilitySdkOptions, packages: SdkPackages): unknown {
  if (process.env.OTEL_TRACES_SAMPLER?.trim()) return samplerFromEnv(packages);
  const t = packages.trace;
  return new t.ParentBasedSampler({ root: new t.TraceIdRatioBasedSampler(clampRatio(options.sampleRatio ?? numberFromEnv('OTEL_TRACES_SAMPLER_ARG', 1))) });
}

function clampRatio(ratio: number): number {
  return Number.isFinite(ratio) ? Math.min(1, Math.max(0, ratio)) : 1;
}
