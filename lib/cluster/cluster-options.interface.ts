/**
 * Options of `metrics.cluster`: one `/metrics` for every worker of a pm2 cluster or a `node:cluster`
 * app, with no code in the primary. Each worker keeps its own Registry; the worker that receives a
 * scrape asks its peers for fresh snapshots over unix sockets in `directory`, adds the kept counts of
 * workers that died, and merges them with prom-client's `AggregatorRegistry.aggregate()`.
 *
 * @example
 * { directory: '/run/orders-metrics', expectedWorkers: 4, missingWorkersGraceMs: 60000 }
 */
export interface ClusterMetricsOptions {
  /**
   * The shared directory (one per app and host; POSIX only). It must be writable by every worker and
   * must not be shared by two different apps (the boot fails if it is).
   * @default `$NESTJS_OBSERVABILITY_CLUSTER_DIR`, else `nestjs-observability-<hash of the app name>` in `/dev/shm` on Linux (memory), in `os.tmpdir()` elsewhere
   * @example '/run/orders-metrics'
   */
  directory?: string;
  /**
   * The app's name in the directory, to tell two apps apart that share it by mistake.
   * @default pm2's app name under pm2, else the path of the main script
   * @example 'orders'
   */
  app?: string;
  /**
   * How often each worker also writes its snapshot to its file. The file is what is kept when a worker
   * is killed without warning, so this bounds the counts such a worker loses (counts a scrape already
   * reported are never lost: a worker writes its file before it answers a scrape).
   * @default 5000
   */
  snapshotIntervalMs?: number;
  /**
   * How long a scrape waits for a peer's fresh snapshot before it uses the peer's file instead.
   * @default 2000
   */
  peerTimeoutMs?: number;
  /**
   * Number of workers readiness expects. With fewer alive for longer than `missingWorkersGraceMs`,
   * the `workers` readiness indicator reports down. `0` switches the check off.
   * @default pm2's `instances` when it is a number, else 0
   * @example 4
   */
  expectedWorkers?: number;
  /**
   * How long workers may be missing (a restart, a rolling reload) before readiness reports down.
   * @default 30000
   */
  missingWorkersGraceMs?: number;
  /**
   * Further metrics given a `worker` label (one series per live worker) rather than merged. Process
   * and runtime metrics (`defaultMetrics`), summaries and `health_indicator_status` always are.
   * @default []
   * @example ['queue_local_cache_entries']
   */
  perWorker?: string[];
}

/** `metrics.cluster` after defaults were applied. */
export interface ResolvedClusterMetricsOptions {
  directory: string;
  app: string;
  snapshotIntervalMs: number;
  peerTimeoutMs: number;
  expectedWorkers: number;
  missingWorkersGraceMs: number;
  perWorker: string[];
}
