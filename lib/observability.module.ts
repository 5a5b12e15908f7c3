import { DynamicModule, FactoryProvider, Logger, Module, Provider, Type } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { HTTP_EXCHANGE_LISTENERS, HttpAdapterHook } from './instrumentation/http-adapter.hook';
import { HttpExchangeListener } from './instrumentation/http-exchange.interface';
import { MethodInstrumenter } from './instrumentation/instrumentation-spec.interface';
import { InstrumentationCallbackFailures } from './instrumentation/callback-failures';
import { InstrumentationExplorer, METHOD_INSTRUMENTERS } from './instrumentation/instrumentation.explorer';
import { backgroundPart } from './background/background.part';
import { httpClientPart } from './http-client/http-client.part';
import { pushgatewayPart } from './pushgateway/pushgateway.part';
import { websocketsPart } from './websockets/websockets.part';
import { graphqlPart } from './graphql/graphql.part';
import { messagingPart } from './messaging/messaging.part';
import { bullmqPart } from './bullmq/bullmq.part';
import { tracingPart } from './tracing/tracing.part';
import { metricsPart } from './metrics/metrics.part';
import { healthPart } from './health/health.part';
import { managementPart } from './management/management.part';
import { clusterPart } from './cluster/cluster.part';
import {
  configureMetricsController,
  createMetricsControllerClass,
  ObservabilityMetricsController,
} from './metrics/metrics.controller';
import { OBSERVABILITY_RESOLVED_OPTIONS } from './observability.constants';
import { ObservabilityInterceptor } from './tracing/observability.interceptor';
import { TerminusModule } from '@nestjs/terminus';
import { configureHealthController, createHealthControllerClass, ObservabilityHealthController } from './health/health.controller';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  OBSERVABILITY_MODULE_OPTIONS,
  OPTIONS_TYPE,
} from './observability.module-definition';
import { ObservabilityModuleOptions, ResolvedObservabilityOptions } from './observability-options.interface';
import { ObservabilityPart } from './observability-part.interface';
import { resolveObservabilityOptions } from './observability-options.resolver';
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

/** The parts that bring their own wiring (`lib/<part>/<part>.part.ts`); the module only composes them. */
// Tracing before metrics: the HTTP metrics listener reads the request's span (exemplars).
const PARTS: readonly ObservabilityPart[] = [
  tracingPart,
  metricsPart,
  healthPart,
  managementPart,
  clusterPart,
  backgroundPart,
  websocketsPart,
  graphqlPart,
  messagingPart,
  bullmqPart,
  httpClientPart,
  pushgatewayPart,
];

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
      InstrumentationCallbackFailures,
      {
        provide: METHOD_INSTRUMENTERS,
        inject: PARTS.flatMap((part) => part.instrumenters ?? []),
        useFactory: (...fromParts: Array<MethodInstrumenter | null>): MethodInstrumenter[] =>
          fromParts.filter((instrumenter): instrumenter is MethodInstrumenter => instrumenter !== null),
      },
      {
        provide: HTTP_EXCHANGE_LISTENERS,
        inject: PARTS.flatMap((part) => part.exchangeListeners ?? []),
        useFactory: (...fromParts: Array<HttpExchangeListener | null>): HttpExchangeListener[] =>
          fromParts.filter((listener): listener is HttpExchangeListener => listener !== null),
      },
      InstrumentationExplorer,
      HttpAdapterHook,
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
      exports: [...(base.exports ?? []), OBSERVABILITY_RESOLVED_OPTIONS, ...PARTS.flatMap((part) => part.exports ?? [])],
    };
  }
}
