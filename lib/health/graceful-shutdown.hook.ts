import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { HealthProbeService } from './health-probe.service';
import { HttpServerDrain } from './http-server-drain';
import { ShutdownSignalGate } from './shutdown-signal.gate';

/**
 * The Kubernetes (and pm2) shutdown sequence, bounded whatever the clients do:
 * 1. on the signal readiness answers 503 at once, and every response says `Connection: close`;
 * 2. the app keeps serving for `health.drainDelayMs` while load balancers stop sending;
 * 3. then the servers stop accepting (the app's and those registered with `addServer()`), and each open
 *    connection ends after its next answer, without racing its client (see `HttpServerDrain`);
 * 4. `health.shutdownTimeoutMs` after the drain, connections still open are closed, and said;
 * 5. only then does Nest's shutdown start: every module's `onModuleDestroy` (a Prisma `$disconnect`)
 *    runs with no request left that could need it; the telemetry flushes last (`onApplicationShutdown`,
 *    bounded by `tracing.flushTimeoutMs`).
 *
 * Step 5 holds because the module takes the signal over (see `ShutdownSignalGate`): Nest's handler, and
 * any other listener of the signal, runs when the drain is over. The signals are `health.drainSignals`
 * (SIGTERM, plus SIGINT under pm2, whose `pm2 reload` and `pm2 stop` send it). Only when
 * `app.enableShutdownHooks()` is on, before or after `listen()`: without it Node's default behaviour is
 * left alone; a plain `app.close()` closes at once.
 */
@Injectable()
export class GracefulShutdownHook implements OnApplicationBootstrap, OnModuleDestroy, OnApplicationShutdown {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly drains: HttpServerDrain[] = [];
  private readonly gates: ShutdownSignalGate[] = [];
  private draining: Promise<void> | null = null;
  private signalled = false;

  constructor(
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions,
    private readonly probes: HealthProbeService,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {}

  /**
   * Gives another HTTP server (an admin or management port) the same drain as the app's:
   * `Connection: close` from the signal; when the drain ends it stops accepting, and its connections
   * end after their next answer; whatever is still open `health.shutdownTimeoutMs` later is closed.
   * Call it before the signal.
   *
   * @example
   * app.get(GracefulShutdownHook).addServer(adminServer, 'admin server');
   */
  addServer(server: Server, name: string): void {
    const drain = new HttpServerDrain(server, name, this.logger);
    this.drains.push(drain);
    if (this.signalled) drain.refuseKeepAlive();
  }

  onApplicationBootstrap(): void {
    if (!this.options.health.enabled) return;
    const server = this.adapterHost?.httpAdapter?.getHttpServer?.() as Server | undefined;
    const http = server && typeof server.prependListener === 'function' ? server : undefined;
    if (http) this.addServer(http, 'HTTP server');
    // Once the app listens: an app whose boot failed (after this hook ran) must not keep the signal.
    if (http && !http.listening) http.once('listening', this.installGates);
    else this.installGates();
  }

  /** An `app.close()` of the app's own during the drain (a handler of its own) waits for it. */
  async onModuleDestroy(): Promise<void> {
    await this.draining;
  }

  private readonly installGates = () => {
    if (this.gates.length > 0) return;
    for (const signal of this.options.health.drainSignals) {
      const gate = new ShutdownSignalGate(signal, (received) => this.drain(received));
      gate.install();
      this.gates.push(gate);
    }
  };

  onApplicationShutdown(): void {
    this.adapterHost?.httpAdapter?.getHttpServer?.()?.off?.('listening', this.installGates);
    // Nest re-raises the signal after the shutdown hooks; by then the gates must be gone.
    for (const gate of this.gates.splice(0)) gate.release();
    for (const drain of this.drains.splice(0)) drain.dispose();
  }

  /** The drain, once, whichever signal came first. */
  private drain(signal: NodeJS.Signals): Promise<void> {
    this.draining ??= this.run(signal);
    return this.draining;
  }

  private async run(signal: NodeJS.Signals): Promise<void> {
    const { drainDelayMs, shutdownTimeoutMs } = this.options.health;
    this.signalled = true;
    this.probes.markShuttingDown();
    for (const drain of this.drains) drain.refuseKeepAlive();
    this.logger.log(`${signal}: readiness reports 503; draining for ${drainDelayMs} ms before shutting down.`);
    await sleep(drainDelayMs);
    const started = Date.now();
    await Promise.all(this.drains.map((drain) => drain.finish(shutdownTimeoutMs)));
    this.logger.log(`${signal}: drained, every connection closed ${Date.now() - started} ms after the drain; shutting down.`);
  }
}
