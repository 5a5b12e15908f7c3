import { Inject, Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ObservabilityConfigError } from '../observability-config.error';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { aggregateSnapshots, CompactMetric, foldSnapshots, SampleKeys } from './cluster-aggregation';
import { SnapshotCompactor } from './cluster-snapshot-compactor';
import { ClusterDirectory, FoldedSnapshot, WorkerSnapshot } from './cluster-directory';
import { ResolvedClusterMetricsOptions } from './cluster-options.interface';
import { askPeer, peerAnswer, PeerServer } from './cluster-peers';
import { ClusterSumFloor } from './cluster-sum-floor';
import { DepartureSignals } from './departure-signals';
import { newestPerWorker } from './newest-snapshots';
import { isIdAlive, isStopped, newWorkerId, pidOf } from './worker-identity';

/** Dead workers' files that are folded into one once there are this many. */
const FOLD_AT = 4;

/** The module's own gauges that are kept per worker (summing 1 = up over workers means nothing). */
const MODULE_PER_WORKER = ['health_indicator_status'];

/** The module's counter of the times the sum floor held a series up (see `ClusterSumFloor`). */
export const SUM_FLOOR_METRIC = 'cluster_sum_floor_applied_total';

/** The module's counter of peers left out of a scrape (stopped, blocked, busy booting or closing). */
export const PEERS_MISSED_METRIC = 'cluster_peers_missed_total';

/**
 * `metrics.cluster`: makes `/metrics` answer with the sum over every worker of the deployment. At boot
 * the worker joins the deployment in the shared directory (or starts a new one when no worker of it is
 * alive), then listens on its unix socket. A scrape takes this worker's snapshot, asks every peer for
 * a fresh one, adds the kept counts of dead workers and merges them (see `aggregateSnapshots`).
 * Nothing runs per request: the hot path is the same with or without it.
 */
@Injectable()
export class ClusterMetricsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly options: ResolvedClusterMetricsOptions | false;
  private readonly id = newWorkerId();
  private directory: ClusterDirectory | null = null;
  private server: PeerServer | null = null;
  private timer: NodeJS.Timeout | null = null;
  private perWorker: ReadonlySet<string> = new Set();
  private seq = 0;
  /** The snapshot queued behind the running one; callers that arrive meanwhile share it. */
  private queued: { persist: boolean; promise: Promise<{ snapshot: WorkerSnapshot; json: string }> } | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private missingSince: number | null = null;
  private writeFailureLogged = false;
  private folding = false;
  /** Set at shutdown: the last snapshot written and this worker's file turned into a dead one. */
  private retirement: Promise<void> | null = null;
  private readonly compactor: SnapshotCompactor;
  private floor: ClusterSumFloor | null = null;
  private readonly departure = new DepartureSignals(() => void this.leave());
  private leaving: Promise<void> | null = null;
  private peersMissed: Counter<'reason'> | null = null;
  private writeFailures: Counter | null = null;
  /** Each peer's last answer to this worker: its values when it misses a later scrape. */
  private readonly lastKnown = new Map<string, WorkerSnapshot>();
  /** The merged series' parsed keys, kept between scrapes. */
  private readonly sampleKeys = new SampleKeys();

  constructor(
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions,
    private readonly metrics: MetricsService,
  ) {
    this.options = options.metrics.enabled ? options.metrics.cluster : false;
    this.compactor = new SnapshotCompactor(options.metrics.defaultLabels);
  }

  /** Whether `metrics.cluster` is on. */
  get enabled(): boolean {
    return this.options !== false;
  }

  async onModuleInit(): Promise<void> {
    const options = this.options;
    if (options === false) return;
    const directory = new ClusterDirectory(options.directory);
    await directory.ensureWritable();
    this.perWorker = new Set([...this.metrics.processMetricNames, ...MODULE_PER_WORKER, ...options.perWorker]);
    const floorActs = this.metrics.counter({
      name: SUM_FLOOR_METRIC,
      help: 'Summed cluster series that came out below what this worker showed before and were held at that value (0 while sums are exact).',
      labelNames: ['metric'],
    });
    this.floor = new ClusterSumFloor((metric) => floorActs.inc({ metric }));
    this.writeFailures = this.metrics.counter({
      name: 'cluster_snapshot_write_failures_total',
      help: "Writes of this worker's snapshot file that failed (a full disk): a worker killed without warning would lose what its file lacks.",
    });
    this.peersMissed = this.metrics.counter({
      name: PEERS_MISSED_METRIC,
      help: 'Peers left out of a cluster scrape (reason: timeout, past metrics.cluster.peerTimeoutMs; refused, closing; error): their last-known values were used.',
      labelNames: ['reason'],
    });
    // A peer that holds this worker's current keys gets the values only.
    this.server = new PeerServer(directory.socketPath(this.id), async (knownKeys) => {
      const { snapshot, json } = await this.snapshot();
      return peerAnswer(snapshot, json, knownKeys);
    });
    await directory.withBootLock(async () => {
      await this.join(directory, options);
      this.directory = directory;
      await this.snapshot();
      await this.server!.listen();
    });
    this.metrics.useSource(this);
    if (options.expectedWorkers > 0) this.departure.start();
    this.timer = setInterval(() => {
      this.snapshot().catch((error) => this.logWriteFailure(error));
      void this.checkWorkers();
    }, options.snapshotIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // Nest re-raises the signal after the shutdown hooks: our listeners must be gone by then.
    this.departure.stop();
    // A stop without a signal (`app.close()`) is deliberate too: only a crash leaves a worker missing.
    if (!this.leaving) this.leave();
    await this.leaving;
    const directory = this.directory;
    if (!directory || this.retirement) return this.retirement ?? undefined;
    // Scrapes keep answering with the sum until the server closes (Prometheus scrapes a pod that is
    // going away); from here on they wait for this, then read this worker's counts from its dead file.
    this.retirement = (async () => {
      await this.server?.close();
      // The last counts, kept in the sum once this worker is gone.
      await this.snapshot().catch((error) => this.logWriteFailure(error));
      await directory.retire(this.id).catch(() => undefined);
    })();
    await this.retirement;
  }

  /** The merged Registry of every worker: the `MetricsSource` of `MetricsService.render()`. */
  async collect(): Promise<Registry> {
    const directory = this.directory!;
    const options = this.options as ResolvedClusterMetricsOptions;
    // Shutting down: once retired, this worker's counts are read from its dead file like any other's.
    if (this.retirement) await this.retirement;
    const retired = this.retirement !== null;
    const listing = await directory.list();
    const live: WorkerSnapshot[] = [];
    await Promise.all([
      // The peers are asked while this worker takes its own snapshot.
      retired ? undefined : this.snapshot(listing.workers.some((id) => id !== this.id)).then((own) => void live.unshift(own.snapshot)),
      ...listing.workers
        .filter((id) => id !== this.id)
        .map(async (id) => {
          const answer = await askPeer(directory.socketPath(id), options.peerTimeoutMs, this.lastKnown.get(id));
          if (answer.ok) {
            this.lastKnown.set(id, answer.snapshot);
            return void live.push(answer.snapshot);
          }
          // It died: its last snapshot (written before any scrape saw its counts) is kept, read below.
          if (answer.reason === 'gone' && !isIdAlive(id)) {
            this.lastKnown.delete(id);
            return void (await directory.retire(id));
          }
          // Alive but stopped, blocked, booting or closing: left out of this scrape, counted, and its
          // last-known values used: the newer of its last answer here and its file (which holds
          // everything any scrape reported of it).
          this.peersMissed?.inc({ reason: answer.reason === 'gone' ? 'refused' : answer.reason });
          const file = await directory.readSnapshot(id).catch(() => null);
          const known = this.lastKnown.get(id);
          const newest = known && (!file || known.seq >= file.seq) ? known : file;
          if (newest) live.push(newest);
        }),
    ]);
    for (const id of this.lastKnown.keys()) if (!listing.workers.includes(id)) this.lastKnown.delete(id);
    const kept = await this.readKept(directory);
    if (kept.unfolded.length >= FOLD_AT) this.fold(directory).catch((error) => this.logWriteFailure(error, "folding dead workers' snapshots"));
    // Each worker once, from its newest snapshot: an answer, its last-known values or its kept file.
    const newest = newestPerWorker(live, kept.snapshots);
    return aggregateSnapshots(newest.live, newest.dead, this.perWorker, this.floor ?? undefined, this.sampleKeys);
  }

  /**
   * The kept counts of dead workers: the newest folded file and the dead snapshots it does not hold.
   * A file that vanished while being read (folded meanwhile) means the listing is stale: read again.
   */
  private async readKept(directory: ClusterDirectory) {
    for (let attempt = 0; ; attempt++) {
      const listing = await directory.list();
      const folded = listing.folded > 0 ? await directory.readFolded(listing.folded) : null;
      const held = new Set(folded?.ids ?? []);
      const unfolded = listing.dead.filter((id) => !held.has(id));
      const dead = await Promise.all(unfolded.map((id) => directory.readDead(id)));
      const complete = (listing.folded === 0 || folded !== null) && dead.every((d) => d !== null);
      if (complete || attempt >= 5) {
        const snapshots: Array<WorkerSnapshot | FoldedSnapshot> = [...(folded ? [folded] : []), ...dead.filter((d): d is WorkerSnapshot => d !== null)];
        return { listing, folded, unfolded, snapshots };
      }
    }
  }

  /** Sums the dead snapshots into one folded file, so that a crash loop does not make every scrape slower. */
  private async fold(directory: ClusterDirectory): Promise<void> {
    if (this.folding) return;
    this.folding = true;
    try {
      await directory.withBootLock(async () => {
        const { listing, folded, unfolded, snapshots } = await this.readKept(directory);
        if (unfolded.length < FOLD_AT) return;
        const metrics = foldSnapshots(snapshots, this.perWorker);
        // Dead files an earlier fold held but could not remove (it was interrupted) stay held.
        const stillHeld = (folded?.ids ?? []).filter((id) => listing.dead.includes(id));
        await directory.writeFolded(
          { seq: listing.folded + 1, ids: [...stillHeld, ...unfolded], metrics },
          { previous: listing.folded, dead: [...stillHeld, ...unfolded] },
        );
      });
    } finally {
      this.folding = false;
    }
  }

  /**
   * The `workers` readiness check: down when fewer than `expectedWorkers` workers have been alive for
   * longer than `missingWorkersGraceMs`.
   */
  async checkWorkers(): Promise<{ status: 'up' | 'down'; details: Record<string, unknown> }> {
    const options = this.options as ResolvedClusterMetricsOptions;
    const directory = this.directory;
    if (!directory || options.expectedWorkers === 0) return { status: 'up', details: {} };
    const { workers } = await directory.list();
    // The deployment's scale follows deliberate changes (pm2 scale, reloads); the option is its start.
    const scale = await directory.readScale().catch(() => null);
    const expected = scale?.expected ?? options.expectedWorkers;
    const leaving = new Set(scale?.leaving ?? []);
    // Alive means answering: a stopped worker (SIGSTOP) or one whose file has not been refreshed for
    // three snapshot intervals (blocked) is missing, though its pid exists.
    const staleMs = 3 * options.snapshotIntervalMs + options.peerTimeoutMs;
    const responsive = await Promise.all(
      workers.map(
        async (id) =>
          !leaving.has(id) && (id === this.id || (isIdAlive(id) && !isStopped(pidOf(id)) && ((await directory.snapshotAge(id)) ?? Infinity) <= staleMs)),
      ),
    );
    const alive = responsive.filter(Boolean).length;
    const details = { alive, expected };
    if (alive >= expected) {
      this.missingSince = null;
      return { status: 'up', details };
    }
    this.missingSince ??= Date.now();
    const missingMs = Date.now() - this.missingSince;
    if (missingMs < options.missingWorkersGraceMs) return { status: 'up', details: { ...details, missingMs } };
    return {
      status: 'down',
      details: { ...details, missingMs, message: `${expected - alive} of ${expected} workers missing for ${missingMs} ms` },
    };
  }

  /** This worker was asked to stop: the deployment expects one worker less (a scale down; a reload's replacement raised it first). */
  private leave(): void {
    const directory = this.directory;
    if (!directory || (this.options as ResolvedClusterMetricsOptions).expectedWorkers === 0) return;
    this.leaving = directory
      .withBootLock(async () => {
        const scale = await directory.readScale();
        if (!scale) return;
        const leaving = [...scale.leaving.filter(isIdAlive), this.id];
        await directory.writeScale({ expected: Math.max(0, scale.expected - 1), leaving });
      }, 2000)
      .catch(() => undefined);
  }

  /** Joins the deployment in the directory, or starts a new one when none of its workers is alive. */
  private async join(directory: ClusterDirectory, options: ResolvedClusterMetricsOptions): Promise<void> {
    const marker = await directory.readMarker();
    const { workers } = await directory.list();
    const alive = workers.filter(isIdAlive);
    if (alive.length === 0 || marker === null) {
      await directory.startDeployment({ app: options.app, primaryPid: process.ppid, startedAt: Date.now() }, options.expectedWorkers);
      return;
    }
    const pids = [...new Set(alive.map(pidOf))].join(', ');
    if (marker.app !== options.app) {
      throw new ObservabilityConfigError(
        `metrics.cluster: the shared directory "${options.directory}" is in use by another app, "${marker.app}" (workers ${pids}); this app is "${options.app}". ` +
          `Give each app its own "metrics.cluster.directory", or the same "metrics.cluster.app" if they really are one app.`,
      );
    }
    if (marker.primaryPid !== process.ppid) {
      throw new ObservabilityConfigError(
        `metrics.cluster: the shared directory "${options.directory}" is in use by workers of another primary process (pid ${marker.primaryPid}; workers ${pids}); ` +
          `this worker's primary is ${process.ppid}. Two running copies of "${options.app}" need a "metrics.cluster.directory" each.`,
      );
    }
    if (options.expectedWorkers > 0) {
      // More workers than expected (a scale up, or a reload's replacement before the old one stops): the
      // deployment now expects them all.
      const scale = (await directory.readScale().catch(() => null)) ?? { expected: options.expectedWorkers, leaving: [] };
      const leaving = scale.leaving.filter(isIdAlive);
      const staying = alive.filter((id) => !leaving.includes(id)).length + 1;
      if (staying > scale.expected) await directory.writeScale({ expected: staying, leaving }).catch(() => undefined);
    }
    // A worker alone skips writing at scrape time; now that it has company, it writes what it showed.
    await Promise.all(alive.map((id) => askPeer(directory.socketPath(id), options.peerTimeoutMs)));
  }

  /**
   * Takes this worker's snapshot and (with `persist`) writes it to its file, one at a time, so the file
   * only moves forward. A worker alone in its deployment skips the write at scrape time: if it dies,
   * the next worker starts a new deployment anyway (a worker that joins first makes it write, see `join()`).
   */
  private snapshot(persist = true): Promise<{ snapshot: WorkerSnapshot; json: string }> {
    if (this.queued) {
      this.queued.persist ||= persist;
      return this.queued.promise;
    }
    const entry = { persist, promise: null as unknown as Promise<{ snapshot: WorkerSnapshot; json: string }> };
    const take = async () => {
      this.queued = null;
      const metrics = await this.compactor.snapshot(this.metrics.registry);
      const snapshot: WorkerSnapshot = { id: this.id, pid: process.pid, app: (this.options as ResolvedClusterMetricsOptions).app, seq: ++this.seq, writtenAt: Date.now(), keys: this.compactor.keysToken, metrics };
      if (!entry.persist) return { snapshot, json: '' };
      const json = this.compactor.serialize(snapshot as unknown as { metrics: CompactMetric[] } & Record<string, unknown>);
      // Written before anyone sees it: a worker killed later keeps at least what a scrape reported.
      // A write that fails (a full disk) is said once and counted; the scrape still answers.
      await this.directory?.writeSnapshot(this.id, json, snapshot.seq).catch((error) => {
        this.writeFailures?.inc();
        this.logWriteFailure(error);
      });
      return { snapshot, json };
    };
    entry.promise = this.chain.then(take, take);
    this.queued = entry;
    this.chain = entry.promise.catch(() => undefined);
    return entry.promise;
  }

  private logWriteFailure(error: unknown, what = "writing this worker's snapshot"): void {
    if (this.writeFailureLogged) return;
    this.writeFailureLogged = true;
    this.logger.error(`metrics.cluster: ${what} failed: ${(error as Error)?.message ?? String(error)}`);
  }
}
