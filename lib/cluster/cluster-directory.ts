import { mkdir, open, readdir, readFile, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ObservabilityConfigError } from '../observability-config.error';

/** One worker's metrics as `registry.getMetricsAsJSON()` gives them, with who wrote them. */
export interface WorkerSnapshot {
  /** `<pid>-<nonce>`: unique even when pids are reused. */
  id: string;
  pid: number;
  app: string;
  /** Monotonic per worker: a later snapshot has a higher number. */
  seq: number;
  writtenAt: number;
  metrics: any[];
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

  /** Ids of the workers that have a file or a socket, and of the dead ones. */
  async list(): Promise<{ workers: string[]; dead: string[] }> {
    const workers = new Set<string>();
    const dead: string[] = [];
    for (const name of await readdir(this.path)) {
      const m = /^(w|dead)-(\d+-[0-9a-f]+)\.(json|sock)$/.exec(name);
      if (!m) continue;
      if (m[1] === 'w') workers.add(m[2]);
      else if (m[3] === 'json') dead.push(m[2]);
    }
    return { workers: [...workers], dead };
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
