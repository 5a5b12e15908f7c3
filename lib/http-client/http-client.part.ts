import { HttpAdapterHost } from '@nestjs/core';
import { Tracer } from '@opentelemetry/api';
import { ManagementServer } from '../management/management.server';
import { MetricsService } from '../metrics/metrics.service';
import { OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { ObservabilityPart } from '../observability-part.interface';
import { HTTP_CLIENT_DURATION_METRIC, httpClientLabelNames, HttpClientSubscriber } from './http-client.subscriber';

/** The port the app's HTTP server listens on, if it does. */
function listeningPort(host: HttpAdapterHost): number | undefined {
  const address = (host.httpAdapter?.getHttpServer?.() as { address?: () => unknown } | undefined)?.address?.();
  return typeof address === 'object' && address !== null ? (address as { port?: number }).port : undefined;
}

/** Outgoing HTTP (`httpClient`): a CLIENT span and `http_client_request_duration_seconds` per `fetch()`/undici/`http` call. */
export const httpClientPart: ObservabilityPart = {
  providers: [
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
          // Read at call time: the app's port is known only after listen().
          ownPort: (port: number) => port === management.port || port === listeningPort(adapterHost),
        }),
    },
  ],
};
