import { constants } from 'node:fs';
import { link, lstat, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ObservabilityConfigError } from '../observability-config.error';
import type { CompactMetric } from './cluster-aggregation';
import { isWorkerAlive, processToken } from './worker-identity';

/** One worker's metrics (`registry.getMetricsAsJSON()`, compacted), with who wrote them. */
export interface WorkerSnapshot {
  /** `<pid>-<nonce>`: unique even when pids are reused. */
  id: string;
  pid: number;
  app: string;
  /** Monotonic per worker: a later snapshot has a higher number. */
  seq: number;
  writtenAt: number;
  /**
   * The name of its key table (`SnapshotCompactor.keysToken`, the process's generation and a version;
   * a number from earlier versions): unchanged, a peer sends values only.
   */
  keys?: string | number;
  metrics: CompactMetric[];
}

/** The counts of many dead workers folded into one file, and which dead workers' files it replaces. */
export interface FoldedSnapshot {
  seq: number;
  ids: string[];
  metrics: CompactMetric[];
}

/**
 * How many workers the deployment should have now: `expectedWorkers` at its start, raised when more
 * workers join (a scale up, the overlap of a reload), lowered when one is asked to stop (`leaving`:
 * a scale down, a reload), so that readiness follows a deliberate scale and only a crash is missing.
 */
export interface DeploymentScale {
  expected: number;
  /** Workers asked to stop (SIGTERM, SIGINT) that may still be draining: no longer counted. */
  leaving: string[];
}

/** Who a deployment belongs to: the app and the cluster primary (pm2's daemon, or the `node:cluster` primary). */
export interface DeploymentMarker {
  app: string;
  primaryPid: number;
  startedAt: number;
}

const LOCK = 'boot.lock';
const MARKER = 'deployment.json';
const SCALE = 'scale.json';
const LOCK_STALE_MS = 10_000;
/** A lock file that cannot be read (left empty by an older version on a full disk) is stale after this. */
const LOCK_GARBLED_STALE_MS = 2_000;
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW;
const CREATE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * The shared directory's layout and its atomic file operations:
 * - `deployment.json`: the app and primary the directory currently belongs to;
 * - `w-<id>.json` / `w-<id>.sock` (id: `<pid>-<nonce>`): a live worker's last snapshot and the socket it answers scrapes on;
 * - `dead-<id>.json`: the last snapshot of a worker that ended, whose counters stay in the sum;
 * - `folded-<seq>.json`: many dead snapshots summed into one (so a crash loop does not grow every scrape),
 *   with the ids of the `dead-<id>.json` files it replaces (readers skip those until they are removed);
 * - `boot.lock`: held while a worker joins (or starts) the deployment.
 * Every file is written to a temporary name and renamed, so a reader sees a whole file or none.
 */
export class ClusterDirectory {
  constructor(readonly path: string) {}

  socketPath(id: string): string {
    return join(this.path, `w-${id}.sock`);
  }

  snapshotPath(id: string): string {
    return join(this.path, `w-${id}.json`);
  }

  /**
   * Creates the directory (mode 0700) and proves it is this user's and writable; a boot error that
   * names it otherwise. Another user who could write in it could add counts to the sum (a `dead-*.json`)
   * or make a worker write through a symlink, so a directory that is a symlink, owned by another user,
   * or writable by group or others is refused.
   */
  async ensureWritable(): Promise<void> {
    const refuse = (why: string) =>
      new ObservabilityConfigError(
        `metrics.cluster: the shared directory "${this.path}" ${why}. ` +
          `Every worker must be able to create files in it, and no other user: set "metrics.cluster.directory" (or NESTJS_OBSERVABILITY_CLUSTER_DIR) to a local directory of this user with mode 0700.`,
      );
    try {
      await mkdir(this.path, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw refuse(`cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
    const stat = await lstat(this.path);
    if (stat.isSymbolicLink()) throw refuse('is a symbolic link');
    if (!stat.isDirectory()) throw refuse('cannot be written (ENOTDIR)');
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid) throw refuse(`is owned by uid ${stat.uid}, not by this process's user (uid ${uid})`);
    if ((stat.mode & 0o022) !== 0) throw refuse(`is writable by ${stat.mode & 0o020 ? 'its group' : 'other users'} (mode ${(stat.mode & 0o777).toString(8)})`);
    try {
      const probe = join(this.path, `.probe-${process.pid}`);
      await unlink(probe).catch(() => undefined);
      await (await open(probe, CREATE_FLAGS, 0o600)).close();
      await unlink(probe);
    } catch (error) {
      throw refuse(`cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }

  /**
   * Runs `fn` while holding the directory's boot lock. The lock is written whole to a temporary file
   * and linked into place, so it is never empty; it is taken over when its holder is gone (pid and
   * start token), when it is stale, or when it cannot be read for longer than a moment.
   */
  async withBootLock<T>(fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
    const lock = join(this.path, LOCK);
    const deadline = Date.now() + timeoutMs;
    const content = JSON.stringify({ pid: process.pid, token: processToken(process.pid), at: Date.now() });
    for (;;) {
      const tmp = join(this.path, `.${LOCK}.${process.pid}.tmp`);
      let taken = false;
      try {
        await this.writeExclusive(tmp, content);
        await link(tmp, lock);
        taken = true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new Error(`metrics.cluster: could not take ${lock} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`);
        }
      } finally {
        await unlink(tmp).catch(() => undefined);
      }
      if (taken) break;
      const holder = await this.readJson<{ pid: number; token?: string | null; at: number }>(LOCK);
      const age = await lstat(lock).then((st) => Date.now() - st.mtimeMs, () => 0);
      const stale =
        holder === null || typeof holder.pid !== 'number'
          ? age > LOCK_GARBLED_STALE_MS
          : !isWorkerAlive(holder.pid, holder.token ?? null) || Date.now() - holder.at > LOCK_STALE_MS;
      if (stale) {
        await unlink(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`metrics.cluster: could not take ${lock} within ${timeoutMs} ms (${holder ? `held by pid ${holder.pid}` : 'an unreadable lock file'}).`);
      }
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
    }
    try {
      return await fn();
    } finally {
      await unlink(lock).catch(() => undefined);
    }
  }

  readMarker(): Promise<DeploymentMarker | null> {
    return this.readJson<DeploymentMarker>(MARKER);
  }

  /** Starts a new deployment: removes everything a previous one left, then writes the marker (and the scale, when checked). */
  async startDeployment(marker: DeploymentMarker, expectedWorkers = 0): Promise<void> {
    for (const name of await readdir(this.path)) {
      if (name !== LOCK) await rm(join(this.path, name), { force: true, recursive: true });
    }
    await this.writeAtomic(MARKER, JSON.stringify(marker));
    if (expectedWorkers > 0) await this.writeScale({ expected: expectedWorkers, leaving: [] });
  }

  readScale(): Promise<DeploymentScale | null> {
    return this.readJson<DeploymentScale>(SCALE).then((scale) =>
      scale && Number.isInteger(scale.expected) && Array.isArray(scale.leaving) ? scale : null,
    );
  }

  /** Writes the deployment's scale (call it under the boot lock: it is a read, then a write). */
  writeScale(scale: DeploymentScale): Promise<void> {
    return this.writeAtomic(SCALE, JSON.stringify(scale));
  }

  /** Ids of the workers that have a file or a socket, of the dead ones, and the newest folded file's seq (0: none). */
  async list(): Promise<{ workers: string[]; dead: string[]; folded: number }> {
    const workers = new Set<string>();
    const dead: string[] = [];
    let folded = 0;
    for (const entry of await readdir(this.path, { withFileTypes: true })) {
      // Nothing here is ours as a symlink (another user's trap, were the directory not checked at boot).
      if (entry.isSymbolicLink()) continue;
      const name = entry.name;
      const m = /^(w|dead)-(\d+-[0-9a-f]+)\.(json|sock)$/.exec(name);
      if (m) {
        if (m[1] === 'w') workers.add(m[2]);
        else if (m[3] === 'json') dead.push(m[2]);
        continue;
      }
      const f = /^folded-(\d+)\.json$/.exec(name);
      if (f) folded = Math.max(folded, Number(f[1]));
    }
    return { workers: [...workers], dead, folded };
  }

  readFolded(seq: number): Promise<FoldedSnapshot | null> {
    return this.readJson<FoldedSnapshot>(`folded-${seq}.json`);
  }

  /**
   * Writes `folded-<seq>.json` unless it exists (another worker folded first: `false`), then removes
   * the files it replaces: the previous folded file and the dead snapshots it now holds.
   */
  async writeFolded(folded: FoldedSnapshot, replaces: { previous: number; dead: string[] }): Promise<boolean> {
    const tmp = join(this.path, `.folded-${folded.seq}.${process.pid}.tmp`);
    try {
      await this.writeExclusive(tmp, JSON.stringify(folded));
      await link(tmp, join(this.path, `folded-${folded.seq}.json`));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
    if (replaces.previous > 0) await unlink(join(this.path, `folded-${replaces.previous}.json`)).catch(ignoreMissing);
    for (const id of replaces.dead) await unlink(join(this.path, `dead-${id}.json`)).catch(ignoreMissing);
    return true;
  }

  /** Writes a worker's snapshot (already serialized) to its file, atomically. */
  writeSnapshot(id: string, json: string, seq: number): Promise<void> {
    return this.writeAtomic(`w-${id}.json`, json, seq);
  }

  /** How long ago the worker's file was last written (ms), `null` without one. */
  snapshotAge(id: string): Promise<number | null> {
    return lstat(this.snapshotPath(id)).then(
      (stat) => Date.now() - stat.mtimeMs,
      () => null,
    );
  }

  readSnapshot(id: string): Promise<WorkerSnapshot | null> {
    return this.readJson<WorkerSnapshot>(`w-${id}.json`);
  }

  readDead(id: string): Promise<WorkerSnapshot | null> {
    return this.readJson<WorkerSnapshot>(`dead-${id}.json`);
  }

  /**
   * Keeps the last snapshot of a worker that ended as `dead-<pid>.json` (its counters stay in the sum)
   * and removes its socket. Atomic and idempotent: several workers may retire the same one at once.
   */
  async retire(id: string): Promise<void> {
    await rename(this.snapshotPath(id), join(this.path, `dead-${id}.json`)).catch(ignoreMissing);
    await unlink(this.socketPath(id)).catch(ignoreMissing);
  }

  private async writeAtomic(name: string, content: string, seq = 0): Promise<void> {
    const tmp = join(this.path, `.${name}.${process.pid}.${seq}.tmp`);
    try {
      await this.writeExclusive(tmp, content);
      await rename(tmp, join(this.path, name));
    } catch (error) {
      // A full disk: no temporary file is left behind.
      await unlink(tmp).catch(() => undefined);
      throw error;
    }
  }

  /** Creates `path` afresh (never through a symlink, never into an existing file) and writes `content`. */
  private async writeExclusive(path: string, content: string): Promise<void> {
    let handle;
    try {
      handle = await open(path, CREATE_FLAGS, 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      // Left by an earlier process with this pid.
      await unlink(path);
      handle = await open(path, CREATE_FLAGS, 0o600);
    }
    try {
      await handle.writeFile(content);
    } finally {
      await handle.close();
    }
  }

  private async readJson<T>(name: string): Promise<T | null> {
    try {
      const handle = await open(join(this.path, name), READ_FLAGS);
      try {
        return JSON.parse(await handle.readFile('utf8')) as T;
      } finally {
        await handle.close();
      }
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ELOOP' || error instanceof SyntaxError) return null;
      throw error;
    }
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
