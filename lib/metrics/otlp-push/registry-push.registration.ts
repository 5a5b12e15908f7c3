import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../../observability.constants';
import { ResolvedObservabilityOptions } from '../../observability-options.interface';
import { getObservabilitySdk } from '../../tracing/sdk/observability-sdk';
import { CallbackMetric } from '../callback.metric';
import { MetricsService } from '../metrics.service';

/**
 * Puts this module instance's Registry into the SDK's OTLP metric push (when `startObservabilitySdk()`
 * pushes metrics), for as long as the app runs: added at init, removed at shutdown (the SDK's final push still carries its last values).
 * Also counts the pushed and lost metric points as metrics.
 */
@Injectable()
export class RegistryPushRegistration implements OnModuleInit, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ObservabilityModule');
  /** The Registry's series count from here on (the module's metrics are created with it). */
  private readonly startedAt = Date.now();
  private remove: (() => void) | null = null;

  constructor(
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions,
    private readonly metrics: MetricsService,
  ) {
    if (!options.metrics.enabled) return;
    const stat = (name: string, help: string, read: (s: NonNullable<ReturnType<typeof getObservabilitySdk>>['metricStats']) => number) =>
      metrics.registerCallbackMetric(
        new CallbackMetric(name, help, 'counter', () => {
          const sdk = getObservabilitySdk();
          return sdk?.metricsDestination ? [{ labels: {}, value: read(sdk.metricStats) }] : [];
        }),
      );
    stat('otel_sdk_metric_points_exported_total', 'Metric data points the OTLP metric push delivered.', (s) => s.exported);
    stat('otel_sdk_metric_points_export_failed_total', 'Metric data points whose OTLP push failed (refused, timed out or rejected).', (s) => s.failed);
  }

  onModuleInit(): void {
    const sdk = getObservabilitySdk();
    if (!this.options.metrics.enabled || !sdk?.metricsDestination) return;
    this.remove = sdk.addPrometheusRegistry(this.metrics.registry, this.startedAt);
  }

  onApplicationBootstrap(): void {
    const sdk = getObservabilitySdk();
    if (this.remove && sdk?.metricsDestination) this.logger.log(`Metrics are pushed to ${sdk.metricsDestination}.`);
  }

  onApplicationShutdown(): void {
    // The SDK's next collection (its flush or shutdown, which the tracing part bounds) still pushes the last values.
    this.remove?.();
    this.remove = null;
  }
}
