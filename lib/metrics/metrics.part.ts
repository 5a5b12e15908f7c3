import { OBSERVABILITY_REGISTRY, OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { activeWhen, ObservabilityPart } from '../observability-part.interface';
import { HttpMetricsListener } from './http-metrics.listener';
import { MethodMetricsInstrumenter } from './method-metrics.instrumenter';
import { MetricsEndpoint } from './metrics-endpoint.service';
import { MetricsService } from './metrics.service';
import { RegistryPushRegistration } from './otlp-push/registry-push.registration';

/** Tokens of the metrics part's instrumenter and request listener, `null` when off. */
const METHOD_METRICS = Symbol('nestjs-observability:method-metrics-instrumenter');
const HTTP_METRICS = Symbol('nestjs-observability:http-metrics-listener');

/**
 * Metrics: the app's Registry (`MetricsService`), what serves it (`MetricsEndpoint`, behind the metrics
 * controller or the management port), HTTP request metrics, `@Counted()`/`@Timed()`, and OTLP push.
 */
export const metricsPart: ObservabilityPart = {
  providers: [
    MetricsService,
    MetricsEndpoint,
    { provide: OBSERVABILITY_REGISTRY, inject: [MetricsService], useFactory: (metrics: MetricsService) => metrics.registry },
    MethodMetricsInstrumenter,
    activeWhen(METHOD_METRICS, MethodMetricsInstrumenter, (options) => options.metrics.enabled),
    {
      provide: HTTP_METRICS,
      inject: [OBSERVABILITY_RESOLVED_OPTIONS, MetricsService],
      useFactory: (options: ResolvedObservabilityOptions, metrics: MetricsService): HttpMetricsListener | null =>
        options.metrics.enabled && options.metrics.http ? new HttpMetricsListener(metrics, options) : null,
    },
    RegistryPushRegistration,
  ],
  instrumenters: [METHOD_METRICS],
  exchangeListeners: [HTTP_METRICS],
  exports: [MetricsService, MetricsEndpoint, OBSERVABILITY_REGISTRY],
};
