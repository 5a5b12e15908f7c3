import { DynamicModule, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { down, HealthIndicator, ObservabilityHealthIndicator, up } from '../lib';
import type { PricingReadyMessage } from './pricing/main';

/** Options of {@link PricingProcess.start}. */
export interface PricingProcessOptions {
  /** Port of the pricing service; 0 picks a free one. */
  port: number;
  /** Address it listens on (the orders service reaches it on 127.0.0.1 when this is a wildcard). */
  host: string;
  /** How long it may take to start, ms. */
  startTimeoutMs?: number;
}

/**
 * The pricing service run as a child process of the orders service, so that `npm start` is the one
 * command that runs the whole sample. The child is tied to this process: it is stopped (SIGTERM) when the
 * orders app shuts down, after its requests in flight finished, and it exits by itself if this process
 * dies without stopping it (the IPC channel closes). It runs in its own process group, so a Ctrl+C in the
 * terminal reaches the orders process only, which then stops the child in order.
 */
export class PricingProcess {
  private readonly logger = new Logger('PricingProcess');
  private stopping = false;

  private constructor(
    private readonly child: ChildProcess,
    /** Base URL the orders service calls, e.g. `http://127.0.0.1:3001`. */
    readonly url: string,
  ) {
    child.on('exit', (code, signal) => {
      if (!this.stopping) {
        this.logger.error(
          `The pricing service exited (code ${code}, signal ${signal}): POST /orders answers 503 and liveness fails until the sample is restarted.`,
        );
      }
    });
  }

  /** Forks `pricing/main.js` and resolves once it listens. */
  static start(options: PricingProcessOptions): Promise<PricingProcess> {
    const child = fork(join(__dirname, 'pricing', 'main.js'), [], {
      // Nothing routes to the child by its readiness, so it needs no drain of its own.
      env: { ...process.env, PORT: String(options.port), HOST: options.host, DRAIN_DELAY_MS: '0' },
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const connectHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`The pricing service did not start within ${options.startTimeoutMs ?? 30_000} ms.`));
      }, options.startTimeoutMs ?? 30_000);
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        reject(new Error(`The pricing service exited before it was ready (code ${code}, signal ${signal}); is port ${options.port} free?`));
      };
      child.once('exit', onExit);
      child.on('message', (message: PricingReadyMessage) => {
        if (message?.type !== 'pricing-ready') return;
        clearTimeout(timer);
        child.off('exit', onExit);
        const host = connectHost.includes(':') ? `[${connectHost}]` : connectHost;
        resolve(new PricingProcess(child, `http://${host}:${message.port}`));
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How the child ended, for the liveness indicator. */
  describeExit(): string {
    return `exited with code ${this.child.exitCode}, signal ${this.child.signalCode}`;
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves once the child exited. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Liveness of the orders process includes its pricing child: if the child died, restarting the container
 * is what fixes it, which is what a failing liveness probe makes Kubernetes do.
 */
@HealthIndicator('pricing-process', { probes: ['liveness'] })
export class PricingProcessHealth implements ObservabilityHealthIndicator {
  constructor(@Inject(PricingProcess) private readonly pricing: PricingProcess) {}

  check() {
    return this.pricing.alive ? up({ pid: this.pricing.pid }) : down(`the pricing service ${this.pricing.describeExit()}`);
  }
}

/** Stops the child after the orders app stopped serving (Nest calls `onApplicationShutdown` last). */
@Injectable()
export class PricingProcessShutdown implements OnApplicationShutdown {
  constructor(@Inject(PricingProcess) private readonly pricing: PricingProcess) {}

  onApplicationShutdown(): Promise<void> {
    return this.pricing.stop();
  }
}

/** Adds the child's liveness indicator and its shutdown to the orders app. */
@Module({})
export class PricingProcessModule {
  static register(pricing: PricingProcess): DynamicModule {
    return {
      module: PricingProcessModule,
      providers: [{ provide: PricingProcess, useValue: pricing }, PricingProcessHealth, PricingProcessShutdown],
    };
  }
}
