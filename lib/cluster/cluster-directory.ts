import { link, mkdir, open, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ObservabilityConfigError } from '../observability-config.error';
import type { CompactMetric } from './cluster-aggregation';

/** One worker's metrics (`registry.getMetricsAsJSON()`, compacted), with who wrote them. */
export interface WorkerSnapshot {
  /** `<pid>-<nonce>`: unique even when pids are reused. */
  id: string;
  pid: number;
  app: string;
  /** Monotonic per worker: a later snapshot has a higher number. */
  seq: number;
  writtenAt: number;
  metrics: CompactMetric[];
}

/** The counts of many dead workers folded into one file, and which dead workers' files it replaces. */
export interface FoldedSnapshot {
  seq: number;
  ids: string[];
  metrics: CompactMetric[];
}

/** Who a deployment belongs to: the app and the cluster primary (pm2's daemon, or the `node:cluster` primary). */
export interface DeploymentMarker {
  app: string;
  primaryPid: number;
  startedAt: number;
}

const LOCK = 'boot.lock';
const MARKER = 'deployment.json';
const LOCK_STALE_MS = 10_000;

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

  /** Creates the directory and proves it is writable; a boot error that names it otherwise. */
  async ensureWritable(): Promise<void> {
    try {
      await mkdir(this.path, { recursive: true, mode: 0o700 });
      const probe = join(this.path, `.probe-${process.pid}`);
      await writeFile(probe, '');
      await unlink(probe);
    } catch (error) {
      throw new ObservabilityConfigError(
        `metrics.cluster: the shared directory "${this.path}" cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). ` +
          `Every worker must be able to create files in it: set "metrics.cluster.directory" (or NESTJS_OBSERVABILITY_CLUSTER_DIR) to a writable local directory.`,
      );
    }
  }

  /** Runs `fn` while holding the directory's boot lock (taken over when its holder is gone or it is stale). */
  async withBootLock<T>(fn: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
    const lock = join(this.path, LOCK);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const handle = await open(lock, 'wx');
        await handle.writeFile(JSON.stringify({ pid: process.pid, at: Date.now() }));
        await handle.close();
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = await this.readJson<{ pid: number; at: number }>(LOCK);
        if (holder && (!isAlive(holder.pid) || Date.now() - holder.at > LOCK_STALE_MS)) {
          await unlink(lock).catch(() => undefined);
          continue;
        }
        if (Date.now() > deadline) throw new Error(`metrics.cluster: could not take ${lock} within ${timeoutMs} ms (held by pid ${holder?.pid}).`);
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 20));
      }
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

  /** Starts a new deployment: removes everything a previous one left, then writes the marker. */
  async startDeployment(marker: DeploymentMarker): Promise<void> {
    for (const name of await readdir(this.path)) {
      if (name !== LOCK) await rm(join(this.path, name), { force: true, recursive: true });
    }
    await this.writeAtomic(MARKER, JSON.stringify(marker));
  }

  /** Ids of the workers that have a file or a socket, of the dead ones, and the newest folded file's seq (0: none). */
  async list(): Promise<{ workers: string[]; dead: string[]; folded: number }> {
    const workers = new Set<string>();
    const dead: string[] = [];
    let folded = 0;
    for (const name of await readdir(this.path)) {
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
    await writeFile(tmp, JSON.stringify(folded));
    try {
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
    await writeFile(tmp, content);
    await rename(tmp, join(this.path, name));
  }

  private async readJson<T>(name: string): Promise<T | null> {
    try {
      return JSON.parse(await readFile(join(this.path, name), 'utf8')) as T;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT' || error instanceof SyntaxError) return null;
      throw error;
    }
  }
}

/** `true` while a process with this pid exists (EPERM: it exists, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}
