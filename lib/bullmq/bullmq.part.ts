import { DiscoveryService } from '@nestjs/core';
import { Tracer } from '@opentelemetry/api';
import { MetricsService } from '../metrics/metrics.service';
import { MessagingMetrics } from '../messaging/messaging-metrics';
import { OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { ObservabilityPart } from '../observability-part.interface';
import { BullMqProcessorInstrumenter } from './bullmq-processor.instrumenter';
import { BullMqProducerInstrumenter } from './bullmq-producer.instrumenter';
import { QueueJobsGauge } from './queue-jobs.gauge';

/** Token of the processors' instrumenter, `null` when `bullmq` or both metrics and tracing are off. */
export const BULLMQ_PROCESSOR_INSTRUMENTER = Symbol('nestjs-observability:bullmq-processor-instrumenter');
const BULLMQ_PRODUCER_INSTRUMENTER = Symbol('nestjs-observability:bullmq-producer-instrumenter');
const QUEUE_JOBS_GAUGE = Symbol('nestjs-observability:bullmq-queue-jobs-gauge');

const active = (options: ResolvedObservabilityOptions): boolean => options.bullmq.enabled && (options.metrics.enabled || options.tracing.enabled);

/**
 * BullMQ (`@nestjs/bullmq`): PRODUCER spans and sent counts for queues and flow producers, a CONSUMER
 * span and metrics per processor attempt; with `bullmq.queueMetrics`, the scrape-time queue gauge.
 */
export const bullmqPart: ObservabilityPart = {
  providers: [
    // The messaging part's metrics: one instance per module (the same token when both parts list it).
    MessagingMetrics,
    {
      provide: BULLMQ_PRODUCER_INSTRUMENTER,
      inject: [DiscoveryService, OBSERVABILITY_TRACER, OBSERVABILITY_RESOLVED_OPTIONS, MessagingMetrics],
      useFactory: (discovery: DiscoveryService, tracer: Tracer, options: ResolvedObservabilityOptions, metrics: MessagingMetrics): BullMqProducerInstrumenter | null =>
        active(options) ? new BullMqProducerInstrumenter(discovery, tracer, options, metrics) : null,
    },
    {
      provide: BULLMQ_PROCESSOR_INSTRUMENTER,
      inject: [DiscoveryService, OBSERVABILITY_TRACER, OBSERVABILITY_RESOLVED_OPTIONS, MessagingMetrics, MetricsService],
      // Created with the providers: process() gets its dispatcher before @nestjs/bullmq binds it to the Worker.
      useFactory: (discovery: DiscoveryService, tracer: Tracer, options: ResolvedObservabilityOptions, metrics: MessagingMetrics, metricsService: MetricsService): BullMqProcessorInstrumenter | null =>
        active(options) ? new BullMqProcessorInstrumenter(discovery, tracer, options, metrics, metricsService) : null,
    },
    {
      provide: QUEUE_JOBS_GAUGE,
      inject: [DiscoveryService, MetricsService, OBSERVABILITY_RESOLVED_OPTIONS],
      useFactory: (discovery: DiscoveryService, metrics: MetricsService, options: ResolvedObservabilityOptions): QueueJobsGauge | null =>
        options.bullmq.enabled && options.metrics.enabled && options.bullmq.queueMetrics.enabled ? new QueueJobsGauge(discovery, metrics, options.bullmq.queueMetrics) : null,
    },
  ],
  instrumenters: [BULLMQ_PROCESSOR_INSTRUMENTER],
};
