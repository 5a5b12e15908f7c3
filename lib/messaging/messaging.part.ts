import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { ObservabilityPart } from '../observability-part.interface';
import { MessagingClientInstrumenter } from './messaging-client.instrumenter';
import { MessagingMetrics } from './messaging-metrics';
import { MessagingProcessInstrumenter } from './messaging-process.instrumenter';
import { RedisServerMetadataHook } from './redis-server-metadata.hook';

/** Token of the handlers' `messaging_process_duration_seconds` instrumenter, `null` when `messaging` or metrics are off. */
export const MESSAGING_PROCESS_INSTRUMENTER = Symbol('nestjs-observability:messaging-process-instrumenter');

/**
 * Microservice messaging (Redis, NATS, RabbitMQ): the clients' PRODUCER spans, the trace context in the
 * message and `messaging_client_sent_messages_total`; the handlers' duration. The handlers' CONSUMER
 * spans are made by the RPC handler tracing (`tracing.rpc`), which reads `messaging.eventContext`.
 */
export const messagingPart: ObservabilityPart = {
  providers: [
    MessagingMetrics,
    MessagingClientInstrumenter,
    RedisServerMetadataHook,
    {
      provide: MESSAGING_PROCESS_INSTRUMENTER,
      inject: [DiscoveryService, MetadataScanner, OBSERVABILITY_RESOLVED_OPTIONS, MessagingMetrics],
      // Created with the providers: it gives the handlers their dispatcher before the routers capture them.
      useFactory: (discovery: DiscoveryService, scanner: MetadataScanner, options: ResolvedObservabilityOptions, metrics: MessagingMetrics): MessagingProcessInstrumenter | null =>
        options.messaging.enabled && options.metrics.enabled ? new MessagingProcessInstrumenter(discovery, scanner, options, metrics) : null,
    },
  ],
  instrumenters: [MESSAGING_PROCESS_INSTRUMENTER],
  exports: [MessagingClientInstrumenter],
};
