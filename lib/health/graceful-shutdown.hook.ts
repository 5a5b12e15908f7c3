import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { HealthProbeService } from './health-probe.service';
import { HttpServerDrain } from './http-server-drain';

/** How long a connection accepted just before the drain ended may take to send its request, ms. */
const NEW_CONNECTION_GRACE_MS = 1000;

/** The flag Nest's adapters set in `beforeClose()`, which makes `return503OnClosing` answer 503. */
interface ClosingAdapter {
  isShuttingDown?: unknown;
}

/**
 * The Kubernetes shutdown sequence, bounded whatever the clients do:
 * 1. on SIGTERM readiness answers 503 at once, and every response says `Connection: close`;
 * 2. the app keeps serving for `health.drainDelayMs` while load balancers stop sending;
 * 3. then the server stops accepting and its idle connections are closed (the servers registered with
 *    `addServer()` too: the "after drain" point), and Nest closes: requests in flight finish;
 * 4. `health.shutdownTimeoutMs` after the drain, connections still open are closed;
 * 5. the telemetry flushes last (`onApplicationShutdown`, bounded by `tracing.flushTimeoutMs`).
 *
 * The drain runs in this global module's `onModuleDestroy`, which Nest calls before any other module's,
 * so databases and clients are still open while the app drains. It happens on SIGTERM only (the signal
 * Kubernetes sends), never on SIGINT or a plain `app.close()`, and only when `app.enableShutdownHooks()`
 * is on, before or after `listen()`: without it Node's default SIGTERM behaviour is left alone.
 * Nest's `return503OnClosing` is held back during the drain (it would turn it into 503s) and applies
 * from its end.
 */
@Injectable()
export class GracefulShutdownHook implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('ObservabilityModule');
  private sigtermReceived = false;
  private listening = false;
  private readonly drains: HttpServerDrain[] = [];
  private readonly onSigterm = () => {
    if (this.sigtermReceived) return;
    this.sigtermReceived = true;
    this.probes.markShuttingDown();
    for (const drain of this.drains) drain.refuseKeepAlive();
  };
  // `enableShutdownHooks()` after `listen()` adds Nest's SIGTERM listener after our bootstrap hook ran.
  private readonly onNewListener = (event: string | symbol) => {
    if (event !== 'SIGTERM') return;
    process.off('newListener', this.onNewListener);
    this.listen();
  };

  constructor(
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions,
    private readonly probes: HealthProbeService,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /**
   * Gives another HTTP server (an admin or management port) the same drain as the app's:
   * `Connection: close` from SIGTERM; when the drain ends it stops accepting and its idle connections
   * close; whatever is still open `health.shutdownTimeoutMs` later is closed. Call it before SIGTERM.
   *
   * @example
   * app.get(GracefulShutdownHook).addServer(adminServer, 'admin server');
   */
  addServer(server: Server, name: string): void {
    const drain = new HttpServerDrain(server, name, this.logger);
    this.drains.push(drain);
    if (this.sigtermReceived) drain.refuseKeepAlive();
  }

  onApplicationBootstrap(): void {
    if (!this.options.health.enabled) return;
    const server = this.adapterHost?.httpAdapter?.getHttpServer?.() as Server | undefined;
    if (server && typeof server.prependListener === 'function') this.addServer(server, 'HTTP server');
    // Only beside Nest's own SIGTERM handler: a listener of ours alone would stop Node from exiting.
    if (process.listenerCount('SIGTERM') > 0) this.listen();
    else process.on('newListener', this.onNewListener);
  }

  async onModuleDestroy(): Promise<void> {
    if (!this.sigtermReceived) return;
    const { drainDelayMs, shutdownTimeoutMs } = this.options.health;
    // Nest's beforeClose() already ran: with return503OnClosing it would answer the drain with 503s.
    const adapter = this.adapterHost?.httpAdapter as unknown as ClosingAdapter | undefined;
    const held = adapter?.isShuttingDown === true;
    if (held) adapter!.isShuttingDown = false;
    this.logger.log(`SIGTERM: readiness reports 503; draining for ${drainDelayMs} ms before shutting down.`);
    try {
      await sleep(drainDelayMs);
      for (const drain of this.drains) drain.closeAllAfter(shutdownTimeoutMs);
      // Connections accepted in the drain's last moments deliver their request before Nest closes.
      await Promise.all(this.drains.map((drain) => drain.stopAccepting(Math.min(NEW_CONNECTION_GRACE_MS, shutdownTimeoutMs))));
    } finally {
      if (held) adapter!.isShuttingDown = true;
    }
  }

  onApplicationShutdown(): void {
    // Nest re-raises the signal after the shutdown hooks; by then this listener must be gone.
    if (this.listening) process.off('SIGTERM', this.onSigterm);
    process.off('newListener', this.onNewListener);
    this.listening = false;
    for (const drain of this.drains.splice(0)) drain.dispose();
  }

  private listen(): void {
    if (this.listening) return;
    // First, so that readiness fails before anything else reacts to the signal.
    process.prependListener('SIGTERM', this.onSigterm);
    this.listening = true;
  }
}
