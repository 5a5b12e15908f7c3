import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { HealthProbeService } from './health-probe.service';

/**
 * The Kubernetes shutdown sequence: on SIGTERM readiness answers 503 at once; the app keeps serving
 * for `health.drainDelayMs` while load balancers stop sending; then Nest closes (requests in flight
 * finish) and the telemetry flushes last (`onApplicationShutdown`).
 *
 * The drain runs in this global module's `onModuleDestroy`, which Nest calls before any other module's,
 * so databases and clients are still open while the app drains. It happens on SIGTERM only (the signal
 * Kubernetes sends), never on SIGINT or a plain `app.close()`, and only when `app.enableShutdownHooks()`
 * is on: without it Node's default SIGTERM behaviour is left alone.
 */
@Injectable()
export class GracefulShutdownHook implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('ObservabilityModule');
  private sigtermReceived = false;
  private listening = false;
  private readonly onSigterm = () => {
    this.sigtermReceived = true;
    this.probes.markShuttingDown();
  };

  constructor(
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions,
    private readonly probes: HealthProbeService,
  ) {}

  onApplicationBootstrap(): void {
    // Only beside Nest's own SIGTERM handler: a listener of ours alone would stop Node from exiting.
    if (this.options.health.enabled && process.listenerCount('SIGTERM') > 0) {
      process.on('SIGTERM', this.onSigterm);
      this.listening = true;
    }
  }

  async onModuleDestroy(): Promise<void> {
    if (!this.sigtermReceived) return;
    const delay = this.options.health.drainDelayMs;
    this.logger.log(`SIGTERM: readiness reports 503; draining for ${delay} ms before shutting down.`);
    await sleep(delay);
  }

  onApplicationShutdown(): void {
    // Nest re-raises the signal after the shutdown hooks; by then this listener must be gone.
    if (this.listening) process.off('SIGTERM', this.onSigterm);
    this.listening = false;
  }
}
