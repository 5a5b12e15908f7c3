import cluster, { Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { ObservabilityConfigError } from '../observability-config.error';

/** Options of `runClusterPrimary()`. */
export interface ClusterPrimaryOptions {
  /**
   * The workers' script.
   * @default the primary's own script (`node:cluster`'s default), for a main.ts that forks itself
   * @example 'dist/main.js'
   */
  exec?: string;
  /**
   * Number of workers.
   * @default os.availableParallelism()
   */
  workers?: number;
  /**
   * On SIGTERM or SIGINT, how long the workers get to drain and exit before the rest are SIGKILLed,
   * ms. Keep it above the workers' own bound (`health.drainDelayMs` + `health.shutdownTimeoutMs` + the
   * span flush) and below Kubernetes' `terminationGracePeriodSeconds` (30 s by default).
   * @default 25000
   */
  shutdownTimeoutMs?: number;
  /**
   * Replace a worker that exits while the primary is not stopping, as pm2 does. One that dies within a
   * second of its start is replaced after a second, so a crash loop does not spin.
   * @default true
   */
  restart?: boolean;
  /**
   * Extra environment of the worker with this index (0 to `workers` - 1; a replacement gets the index
   * of the worker it replaces).
   * @example (index) => ({ WORKER_INDEX: String(index) })
   */
  env?: (index: number) => Record<string, string>;
}

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;
const CRASH_LOOP_MS = 1000;

/**
 * A `node:cluster` primary that keeps the workers' graceful shutdown: SIGTERM (what Kubernetes sends to
 * the container's first process) or SIGINT is forwarded to every worker, each drains as it would alone
 * (readiness 503, requests finished, final metrics snapshot, spans flushed), and the primary exits once
 * they all have, or after `shutdownTimeoutMs`. Nothing of the app runs in the primary.
 */
export class ClusterPrimary {
  private readonly options: Required<Omit<ClusterPrimaryOptions, 'exec' | 'env'>> & Pick<ClusterPrimaryOptions, 'exec' | 'env'>;
  private readonly indexes = new Map<Worker, { index: number; startedAt: number }>();
  private stopping: Promise<void> | null = null;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    void this.stop(signal).then(() => {
      this.removeSignalListeners();
      // Exit as the signal would have ended us, now that the workers are gone.
      process.kill(process.pid, signal);
    });
  };
  private readonly onExit = (worker: Worker) => {
    const started = this.indexes.get(worker);
    this.indexes.delete(worker);
    if (this.stopping || !this.options.restart || started === undefined) return;
    const delay = Date.now() - started.startedAt < CRASH_LOOP_MS ? CRASH_LOOP_MS : 0;
    setTimeout(() => {
      if (!this.stopping) this.fork(started.index);
    }, delay);
  };

  constructor(options: ClusterPrimaryOptions = {}) {
    const workers = options.workers ?? availableParallelism();
    if (!Number.isInteger(workers) || workers < 1) throw ObservabilityConfigError.invalidOption('runClusterPrimary.workers', 'a whole number of at least 1', workers);
    const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 25_000;
    if (!Number.isInteger(shutdownTimeoutMs) || shutdownTimeoutMs < 0) {
      throw ObservabilityConfigError.invalidOption('runClusterPrimary.shutdownTimeoutMs', 'a whole number of milliseconds', shutdownTimeoutMs);
    }
    this.options = { exec: options.exec, workers, shutdownTimeoutMs, restart: options.restart ?? true, env: options.env };
  }

  /** Forks the workers and takes over SIGTERM and SIGINT. */
  start(): this {
    if (!cluster.isPrimary) throw new ObservabilityConfigError('runClusterPrimary() runs in the cluster primary: call it only where cluster.isPrimary is true.');
    if (this.options.exec) cluster.setupPrimary({ exec: this.options.exec });
    cluster.on('exit', this.onExit);
    for (const signal of SIGNALS) process.on(signal, this.onSignal);
    for (let i = 0; i < this.options.workers; i++) this.fork(i);
    return this;
  }

  /** The workers running now. */
  get workers(): Worker[] {
    return [...this.indexes.keys()];
  }

  /**
   * Sends `signal` to every worker and resolves once all have exited, SIGKILLing those still running
   * after `shutdownTimeoutMs`. Idempotent: a second call (a second signal) waits for the first.
   */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.stopping ??= (async () => {
      cluster.off('exit', this.onExit);
      const running = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
      const exited = running.map((worker) => new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))));
      for (const worker of running) {
        try {
          worker.process.kill(signal);
        } catch {
          // Gone meanwhile.
        }
      }
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), this.options.shutdownTimeoutMs)));
      const outcome = await Promise.race([Promise.all(exited), timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        for (const worker of running) if (!worker.isDead()) worker.process.kill('SIGKILL');
        await Promise.all(exited);
      }
      this.indexes.clear();
    })();
    return this.stopping;
  }

  private fork(index: number): void {
    const worker = cluster.fork(this.options.env?.(index));
    this.indexes.set(worker, { index, startedAt: Date.now() });
  }

  private removeSignalListeners(): void {
    for (const signal of SIGNALS) process.off(signal, this.onSignal);
  }
}

/**
 * Runs a `node:cluster` primary that forks the workers, replaces those that crash, and forwards SIGTERM
 * and SIGINT to them so that each drains gracefully (see `ClusterPrimary`).
 *
 * @example
 * // src/primary.ts
 * import { runClusterPrimary } from 'nestjs-observability';
 * runClusterPrimary({ exec: 'dist/main.js', workers: 4 });
 */
export function runClusterPrimary(options: ClusterPrimaryOptions = {}): ClusterPrimary {
  return new ClusterPrimary(options).start();
}
