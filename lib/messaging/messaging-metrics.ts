import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { MetricsService } from '../metrics/metrics.service';

/** Distinct destinations recorded before further ones share the `OTHER` label (the route guard's bound). */
export const DEFAULT_MAX_DESTINATIONS = 100;
/** The label of destinations past the bound. */
export const OTHER_DESTINATION = 'OTHER';
const PROCESS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The OpenTelemetry messaging metrics, Prometheus-style:
 * `messaging_client_sent_messages_total{messaging_system, messaging_destination_name}` and
 * `messaging_process_duration_seconds{messaging_system, messaging_destination_name, outcome}`.
 * Declared only when metrics are on and the app has something to measure (see `use()`). Destinations are bounded like HTTP routes: past
 * `metrics.http.maxRoutes` distinct names (100 when HTTP metrics are off), new ones are `OTHER`, warned once.
 */
@Injectable()
export class MessagingMetrics {
  private sent: Counter<string> | null = null;
  private processed: Histogram<string> | null = null;
  private readonly destinations = new Set<string>();
  private readonly maxDestinations: number;
  private overflowWarned = false;
  private readonly logger = new Logger('ObservabilityModule');
  /** Whether anything is recorded (metrics on). */
  readonly enabled: boolean;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions,
  ) {
    const http = options.metrics.http;
    this.maxDestinations = http ? http.maxRoutes : DEFAULT_MAX_DESTINATIONS;
    this.enabled = options.metrics.enabled;
  }

  /**
   * Declares the two metrics, once, when metrics are on: called at boot by the parts that found a
   * client, a handler, a queue or a processor, so an app without messaging has no such family.
   */
  use(): void {
    if (!this.enabled || this.sent !== null) return;
    this.sent = this.metrics.counter({
      name: 'messaging_client_sent_messages_total',
      help: 'Messages a ClientProxy sent (send and emit) or jobs added to a BullMQ queue, per system and destination.',
      labelNames: ['messaging_system', 'messaging_destination_name'],
    });
    this.processed = this.metrics.histogram({
      name: 'messaging_process_duration_seconds',
      help: 'Time a microservice handler or a BullMQ processor took to process a message (one attempt), per system, destination and outcome.',
      labelNames: ['messaging_system', 'messaging_destination_name', 'outcome'],
      buckets: PROCESS_BUCKETS,
    });
  }

  countSent(system: string, destination: string): void {
    this.sent?.inc({ messaging_system: system, messaging_destination_name: this.bounded(destination) });
  }

  observeProcess(system: string, destination: string, seconds: number, failed: boolean): void {
    this.processed?.observe(
      { messaging_system: system, messaging_destination_name: this.bounded(destination), outcome: failed ? 'failure' : 'success' },
      seconds,
    );
  }

  private bounded(destination: string): string {
    if (this.destinations.has(destination)) return destination;
    if (this.destinations.size >= this.maxDestinations) {
      if (!this.overflowWarned) {
        this.overflowWarned = true;
        this.logger.warn(
          `More than ${this.maxDestinations} distinct messaging destinations were seen; further ones are recorded as ` +
            `messaging_destination_name="${OTHER_DESTINATION}". A pattern is probably built from message data.`,
        );
      }
      return OTHER_DESTINATION;
    }
    this.destinations.add(destination);
    return destination;
  }
}
