import { DynamicModule, FactoryProvider, Logger, Module, Provider, Type } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule, HttpAdapterHost } from '@nestjs/core';
import { HTTP_EXCHANGE_LISTENERS, HttpAdapterHook } from './instrumentation/http-adapter.hook';
import { HttpExchangeListener } from './instrumentation/http-exchange.interface';
import { MethodInstrumenter } from './instrumentation/instrumentation-spec.interface';
import { InstrumentationCallbackFailures } from './instrumentation/callback-failures';
import { InstrumentationExplorer, METHOD_INSTRUMENTERS } from './instrumentation/instrumentation.explorer';
import { ClusterMetricsService } from './cluster/cluster-metrics.service';
import { BackgroundHandlersInstaller } from './background/background-handlers.installer';
import { EventHandlerInstrumenter } from './background/event-handler.instrumenter';
import { ScheduledJobInstrumenter } from './background/scheduled-job.instrumenter';
import { PushgatewayService } from './pushgateway/pushgateway.service';
import { websocketsPart } from './websockets/websockets.part';
import { messagingPart } from './messaging/messaging.part';
import { bullmqPart } from './bullmq/bullmq.part';
import { HTTP_CLIENT_DURATION_METRIC, httpClientLabelNames, HttpClientSubscriber } from './http-client/http-client.subscriber';
import { HttpMetricsListener } from './metrics/http-metrics.listener';
import { MethodMetricsInstrumenter } from './metrics/method-metrics.instrumenter';
import {
  configureMetricsController,
  createMetricsControllerClass,
  ObservabilityMetricsController,
} from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { MetricsEndpoint } from './metrics/metrics-endpoint.service';
import { RegistryPushRegistration } from './metrics/otlp-push/registry-push.registration';
import { ManagementServer } from './management/management.server';
import { OBSERVABILITY_REGISTRY, OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER } from './observability.constants';
import { HandlerTracingInstaller } from './tracing/handler-tracing.installer';
import { HandlerTracingInstrumenter } from './tracing/handler-tracing.instrumenter';
import { HttpTracingListener } from './tracing/http-tracing.listener';
import { TracedInstrumenter } from './tracing/traced.instrumenter';
import { TracingLifecycle } from './tracing/tracing.lifecycle';
import { TracingService } from './tracing/tracing.service';
import { ObservabilityInterceptor } from './tracing/observability.interceptor';
import { trace, Tracer } from '@opentelemetry/api';
import { TerminusModule } from '@nestjs/terminus';
import { GracefulShutdownHook } from './health/graceful-shutdown.hook';
import { configureHealthController, createHealthControllerClass, ObservabilityHealthController } from './health/health.controller';
import { HealthProbeService } from './health/health-probe.service';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  OBSERVABILITY_MODULE_OPTIONS,
  OPTIONS_TYPE,
} from './observability.module-definition';
import { ObservabilityModuleOptions, ResolvedObservabilityOptions } from './observability-options.interface';
import { ObservabilityPart } from './observability-part.interface';
import { resolveObservabilityOptions } from './observability-options.resolver';
import { observabilityPackageVersion } from './package-version.util';
import { boundOptionsFactory, checkForRootArgument, checkForRootAsyncArgument } from './observability-arguments.validator';
import { OBSERVABILITY_REGISTRATION, ObservabilityRegistration, ObservabilityRegistrationCheck, registrationSite } from './observability-registration.check';

/**
 * Options of `ObservabilityModule.forRootAsync()`: Nest's `useFactory`/`useClass`/`useExisting`, `inject`,
 * `imports`, `isGlobal`, and how long the options may take to arrive.
 */
export type ObservabilityAsyncOptions = typeof ASYNC_OPTIONS_TYPE & {
  /**
   * How long the options factory may take, ms; past it the boot fails with `ObservabilityConfigError`.
   * @default 10000
   */
  optionsTimeoutMs?: number;
};

/** The port the app's HTTP server listens on, if it does. */
function listeningPort(host: HttpAdapterHost): number | undefined {
  const address = (host.httpAdapter?.getHttpServer?.() as { address?: () => unknown } | undefined)?.address?.();
  return typeof address === 'object' && address !== null ? (address as { port?: number }).port : undefined;
}

/** The parts that bring their own wiring (`lib/<part>/<part>.part.ts`); the module only composes them. */
const PARTS: readonly ObservabilityPart[] = [websocketsPart, messagingPart, bullmqPart];

function isOptionsFactory(provider: Provider): provider is FactoryProvider {
  return typeof provider === 'object' && provider !== null && 'useFactory' in provider && provider.provide === OBSERVABILITY_MODULE_OPTIONS;
}

/**
 * Production observability for a Nest service from one import: Prometheus metrics
 * (`/metrics`, HTTP request metrics, `@Counted()`, `@Timed()`, injectable custom metrics) and
 * OpenTelemetry tracing (a server span per request and per RPC message, `@Traced()`, propagation,
 * exemplars) and Kubernetes probes on Terminus (`/health/live`, `/health/ready`, `/health/startup`).
 * Global by default; every part can be switched off.
 *
 * @example
 * @Module({ imports: [ObservabilityModule.forRoot({ metrics: { defaultLabels: { service: 'orders' } } })] })
 * export class AppModule {}
 *
 * @example
 * ObservabilityModule.forRootAsync({
 *   imports: [ConfigModule],
 *   inject: [ConfigService],
 *   useFactory: (config: ConfigService) => ({ metrics: { path: config.get('METRICS_PATH') } }),
 * })
 */
@Module({})
export class ObservabilityModule extends ConfigurableModuleClass {
  /** Registers the module with options known up front. */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    // `null` reads as "no options"; anything else that is not an object is refused before Nest spreads it.
    options = options ?? {};
    checkForRootArgument(options);
    const indicatorClasses = options.health ? (options.health.indicators ?? []).filter((i): i is Type<unknown> => typeof i === 'function') : [];
    const interceptor = options.tracing !== false && options.tracing?.interceptor === true;
    // With a management port the endpoints are not on the app's port at all: the router answers 404.
    const onAppPort = !options.management;
    return this.assemble(super.forRoot(options), registrationSite('forRoot()'), onAppPort && options.metrics !== false, onAppPort && options.health !== false, indicatorClasses, interceptor);
  }

  /**
   * Registers the module with options from a factory, a class or an existing provider. The options must
   * arrive within `optionsTimeoutMs` (default 10 s), else the boot fails with a message instead of hanging.
   */
  static override forRootAsync(options: ObservabilityAsyncOptions): DynamicModule {
    const timeoutMs = checkForRootAsyncArgument(options);
    const { optionsTimeoutMs: _timeout, ...nestOptions } = options;
    const base = super.forRootAsync(nestOptions);
    const providers = (base.providers ?? []).map((provider) =>
      isOptionsFactory(provider) ? ({ ...provider, useFactory: boundOptionsFactory(provider.useFactory, timeoutMs) } as Provider) : provider,
    );
    return this.assemble({ ...base, providers }, registrationSite('forRootAsync()'), true, true, [], false);
  }

  private static assemble(
    base: DynamicModule,
    registration: ObservabilityRegistration,
    withMetricsController: boolean,
    withHealth: boolean,
    indicatorClasses: Type<unknown>[],
    withInterceptor: boolean,
  ): DynamicModule {
    const controller: Type<ObservabilityMetricsController> | null = withMetricsController ? createMetricsControllerClass() : null;
    const healthController: Type<ObservabilityHealthController> | null = withHealth ? createHealthControllerClass() : null;
    const providers: Provider[] = [
      { provide: OBSERVABILITY_REGISTRATION, useValue: registration },
      ObservabilityRegistrationCheck,
      {
        provide: OBSERVABILITY_RESOLVED_OPTIONS,
        // The check first: a second registration fails the boot before either one maps or counts anything.
        inject: [OBSERVABILITY_MODULE_OPTIONS, ObservabilityRegistrationCheck],
        useFactory: (options: ObservabilityModuleOptions): ResolvedObservabilityOptions => {
          const resolved = resolveObservabilityOptions(options);
          // Runs while providers are created, before the router reads the controller's path.
          if (controller) configureMetricsController(controller, resolved);
          if (healthController) configureHealthController(healthController, resolved);
          if (resolved.tracing.enabled && resolved.tracing.interceptor && !withInterceptor) {
            new Logger('ObservabilityModule').warn(
              'tracing.interceptor is ignored with forRootAsync(): Nest needs global interceptors before options resolve. ' +
                'Add { provide: APP_INTERCEPTOR, useClass: ObservabilityInterceptor } to your root module instead.',
            );
          }
          return resolved;
        },
      },
      MetricsService,
      MetricsEndpoint,
      ManagementServer,
      ClusterMetricsService,
      { provide: OBSERVABILITY_REGISTRY, inject: [MetricsService], useFactory: (metrics: MetricsService) => metrics.registry },
      {
        provide: OBSERVABILITY_TRACER,
        inject: [OBSERVABILITY_RESOLVED_OPTIONS],
        // The global provider is the API's proxy: it reaches an SDK registered later, at call time.
        useFactory: (options: ResolvedObservabilityOptions): Tracer =>
          (options.tracing.tracerProvider ?? trace.getTracerProvider()).getTracer(options.tracing.tracerName, observabilityPackageVersion()),
      },
      InstrumentationCallbackFailures,
      MethodMetricsInstrumenter,
      TracedInstrumenter,
      HandlerTracingInstrumenter,
      ScheduledJobInstrumenter,
      EventHandlerInstrumenter,
      {
        provide: METHOD_INSTRUMENTERS,
        inject: [
          OBSERVABILITY_RESOLVED_OPTIONS,
          MethodMetricsInstrumenter,
          TracedInstrumenter,
          HandlerTracingInstrumenter,
          ScheduledJobInstrumenter,
          EventHandlerInstrumenter,
          ...PARTS.flatMap((part) => part.instrumenters ?? []),
        ],
        useFactory: (
          options: ResolvedObservabilityOptions,
          metrics: MethodMetricsInstrumenter,
          traced: TracedInstrumenter,
          handlers: HandlerTracingInstrumenter,
          scheduled: ScheduledJobInstrumenter,
          events: EventHandlerInstrumenter,
          ...fromParts: Array<MethodInstrumenter | null>
        ): MethodInstrumenter[] => [
          ...(options.metrics.enabled ? [metrics] : []),
          ...(options.tracing.enabled ? [traced, handlers] : []),
          // Background handlers: a span, a metric, or both.
          ...(options.metrics.enabled || options.tracing.enabled
            ? [...(options.schedule.enabled ? [scheduled] : []), ...(options.events.enabled ? [events] : [])]
            : []),
          ...fromParts.filter((instrumenter): instrumenter is MethodInstrumenter => instrumenter !== null),
        ],
      },
      {
        provide: HTTP_EXCHANGE_LISTENERS,
        inject: [OBSERVABILITY_RESOLVED_OPTIONS, MetricsService, OBSERVABILITY_TRACER],
        useFactory: (options: ResolvedObservabilityOptions, metrics: MetricsService, tracer: Tracer): HttpExchangeListener[] => [
          // Tracing first: the metrics listener reads the request's span for exemplars.
          ...(options.tracing.enabled
            ? [
                new HttpTracingListener(tracer, {
                  excludePaths: options.tracing.excludePaths,
                  trustIncomingSampling: options.tracing.trustIncomingSampling,
                  fastPath: options.tracing.tracerProvider === null,
                }),
              ]
            : []),
          ...(options.metrics.enabled && options.metrics.http ? [new HttpMetricsListener(metrics, options)] : []),
        ],
      },
      {
        provide: HttpClientSubscriber,
        inject: [OBSERVABILITY_RESOLVED_OPTIONS, MetricsService, OBSERVABILITY_TRACER, ManagementServer, HttpAdapterHost],
        useFactory: (options: ResolvedObservabilityOptions, metrics: MetricsService, tracer: Tracer, management: ManagementServer, adapterHost: HttpAdapterHost) =>
          new HttpClientSubscriber({
            options: options.httpClient,
            tracer: options.httpClient.enabled && options.tracing.enabled ? tracer : null,
            histogram:
              options.httpClient.enabled && options.metrics.enabled
                ? metrics.leanHistogram(HTTP_CLIENT_DURATION_METRIC, 'Duration of outgoing HTTP requests in seconds.', httpClientLabelNames(options.httpClient), options.httpClient.buckets, 'the HTTP client metrics of ObservabilityModule')
                : null,
            propagate: options.tracing.enabled && options.tracing.propagateOutgoing,
            exemplars: options.tracing.enabled && options.tracing.exemplars,
            ownPort: (port: number) => port === management.port || port === listeningPort(adapterHost),
          }),
      },
      HandlerTracingInstaller,
      BackgroundHandlersInstaller,
      InstrumentationExplorer,
      HttpAdapterHook,
      TracingService,
      TracingLifecycle,
      RegistryPushRegistration,
      PushgatewayService,
      HealthProbeService,
      GracefulShutdownHook,
      ...PARTS.flatMap((part) => part.providers),
      ...indicatorClasses,
      ObservabilityInterceptor,
      // Known only for forRoot(): a global interceptor cannot be added once async options resolve.
      ...(withInterceptor ? [{ provide: APP_INTERCEPTOR, useExisting: ObservabilityInterceptor }] : []),
    ];
    return {
      ...base,
      // Terminus' own logging is off: the module logs indicator state changes once instead of every failed probe.
      imports: [...(base.imports ?? []), DiscoveryModule, TerminusModule.forRoot({ logger: false })],
      controllers: [...(controller ? [controller] : []), ...(healthController ? [healthController] : [])],
      providers: [...(base.providers ?? []), ...providers],
      exports: [...(base.exports ?? []), MetricsService, MetricsEndpoint, PushgatewayService, ManagementServer, TracingService, HealthProbeService, ObservabilityInterceptor, OBSERVABILITY_REGISTRY, OBSERVABILITY_TRACER, OBSERVABILITY_RESOLVED_OPTIONS, ...PARTS.flatMap((part) => part.exports ?? [])],
    };
  }
}
