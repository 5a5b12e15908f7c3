import { Tracer } from '@opentelemetry/api';
import { MetricsService } from '../metrics/metrics.service';
import { OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { ObservabilityPart } from '../observability-part.interface';
import { GatewayInstrumentationInstaller } from './gateway-instrumentation.installer';
import { GatewayInstrumenter } from './gateway.instrumenter';

/** Token of the gateway handlers' instrumenter, `null` when `websockets` or both metrics and tracing are off. */
export const GATEWAY_INSTRUMENTER = Symbol('nestjs-observability:gateway-instrumenter');

/** WebSocket gateways: spans and metrics per `@SubscribeMessage()` handler, and open connections. */
export const websocketsPart: ObservabilityPart = {
  providers: [
    {
      provide: GATEWAY_INSTRUMENTER,
      inject: [OBSERVABILITY_RESOLVED_OPTIONS, MetricsService, OBSERVABILITY_TRACER],
      useFactory: (options: ResolvedObservabilityOptions, metrics: MetricsService, tracer: Tracer): GatewayInstrumenter | null =>
        options.websockets.enabled && (options.metrics.enabled || options.tracing.enabled)
          ? new GatewayInstrumenter(options.tracing.enabled ? tracer : null, options.metrics.enabled ? metrics : null, options)
          : null,
    },
    GatewayInstrumentationInstaller,
  ],
  instrumenters: [GATEWAY_INSTRUMENTER],
};
