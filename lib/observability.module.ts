import { DynamicModule, Module, Provider, Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { HTTP_EXCHANGE_LISTENERS, HttpAdapterHook } from './instrumentation/http-adapter.hook';
import { HttpExchangeListener } from './instrumentation/http-exchange.interface';
import { MethodInstrumenter } from './instrumentation/instrumentation-spec.interface';
import { InstrumentationExplorer, METHOD_INSTRUMENTERS } from './instrumentation/instrumentation.explorer';
import { HttpMetricsListener } from './metrics/http-metrics.listener';
import { MethodMetricsInstrumenter } from './metrics/method-metrics.instrumenter';
import {
  configureMetricsController,
  createMetricsControllerClass,
  ObservabilityMetricsController,
} from './metrics/metrics.controller';
import { MetricsService } from './metrics/metrics.service';
import { OBSERVABILITY_REGISTRY, OBSERVABILITY_RESOLVED_OPTIONS } from './observability.constants';
import {
  ASYNC_OPTIONS_TYPE,
  ConfigurableModuleClass,
  OBSERVABILITY_MODULE_OPTIONS,
  OPTIONS_TYPE,
} from './observability.module-definition';
import { ObservabilityModuleOptions, ResolvedObservabilityOptions } from './observability-options.interface';
import { resolveObservabilityOptions } from './observability-options.resolver';

/**
 * Production observability for a Nest service from one import: Prometheus metrics
 * (`/metrics`, HTTP request metrics, `@Counted()`, `@Timed()`, injectable custom metrics).
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
    return this.assemble(super.forRoot(options), options.metrics !== false);
  }

  /** Registers the module with options from a factory, a class or an existing provider. */
  static override forRootAsync(options: typeof ASYNC_OPTIONS_TYPE): DynamicModule {
    return this.assemble(super.forRootAsync(options), true);
  }

  private static assemble(base: DynamicModule, withMetricsController: boolean): DynamicModule {
    const controller: Type<ObservabilityMetricsController> | null = withMetricsController ? createMetricsControllerClass() : null;
    const providers: Provider[] = [
      {
        provide: OBSERVABILITY_RESOLVED_OPTIONS,
        inject: [OBSERVABILITY_MODULE_OPTIONS],
        useFactory: (options: ObservabilityModuleOptions): ResolvedObservabilityOptions => {
          const resolved = resolveObservabilityOptions(options);
          // Runs while providers are created, before the router reads the controller's path.
          if (controller) configureMetricsController(controller, resolved);
          return resolved;
        },
      },
      MetricsService,
      { provide: OBSERVABILITY_REGISTRY, inject: [MetricsService], useFactory: (metrics: MetricsService) => metrics.registry },
      MethodMetricsInstrumenter,
      {
        provide: METHOD_INSTRUMENTERS,
        inject: [OBSERVABILITY_RESOLVED_OPTIONS, MethodMetricsInstrumenter],
        useFactory: (options: ResolvedObservabilityOptions, metrics: MethodMetricsInstrumenter): MethodInstrumenter[] =>
          options.metrics.enabled ? [metrics] : [],
      },
      {
        provide: HTTP_EXCHANGE_LISTENERS,
        inject: [OBSERVABILITY_RESOLVED_OPTIONS, MetricsService],
        useFactory: (options: ResolvedObservabilityOptions, metrics: MetricsService): HttpExchangeListener[] =>
          options.metrics.enabled && options.metrics.http ? [new HttpMetricsListener(metrics, options)] : [],
      },
      InstrumentationExplorer,
      HttpAdapterHook,
    ];
    return {
      ...base,
      imports: [...(base.imports ?? []), DiscoveryModule],
      controllers: controller ? [controller] : [],
      providers: [...(base.providers ?? []), ...providers],
      exports: [...(base.exports ?? []), MetricsService, OBSERVABILITY_REGISTRY, OBSERVABILITY_RESOLVED_OPTIONS],
    };
  }
}
