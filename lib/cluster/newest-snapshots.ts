import type { FoldedSnapshot, WorkerSnapshot } from './cluster-directory';

/**
 * Picks, for every worker a scrape heard of, the one snapshot that stands for it: the newest (highest
 * `seq`) of its answer or last-known values (`live`) and its kept file (`kept`: dead files and the
 * folded one).
 *
 * Why: a scrape can meet a leaving worker between its two retirement steps (its file renamed to
 * `dead-<id>.json`, its socket not yet removed): it refuses, its pid is alive, it has no `w-<id>.json`,
 * and the asker falls back to the last values it heard itself, which may be older than what another
 * worker's scrape reported a moment ago. Preferring the live entry over the dead file then made a summed
 * counter go down (a pm2-reload CI run: 5375 -> 5315). Every answer is written to the worker's file
 * before it is sent, so the newest kept file is never behind any answer any worker gave.
 *
 * A worker held by the folded file (folded meanwhile) is read from there: the fold took its dead file,
 * which is at least as new as anything it answered. Its gauges and per-worker series go with it, as
 * they do for any worker that ended.
 */
export function newestPerWorker(
  live: WorkerSnapshot[],
  kept: Array<WorkerSnapshot | FoldedSnapshot>,
): { live: WorkerSnapshot[]; dead: Array<WorkerSnapshot | FoldedSnapshot> } {
  const folded = new Set<string>();
  const deadById = new Map<string, WorkerSnapshot>();
  for (const snapshot of kept) {
    if (isFolded(snapshot)) for (const id of snapshot.ids) folded.add(id);
    else deadById.set(snapshot.id, snapshot);
  }
  const liveById = new Map<string, WorkerSnapshot>();
  for (const snapshot of live) {
    if (folded.has(snapshot.id)) continue;
    const dead = deadById.get(snapshot.id);
    // Equal seq: the same snapshot; the live one also carries the gauges.
    if (dead !== undefined && dead.seq > snapshot.seq) continue;
    const other = liveById.get(snapshot.id);
    if (other === undefined || snapshot.seq > other.seq) liveById.set(snapshot.id, snapshot);
  }
  const dead = kept.filter((snapshot) => isFolded(snapshot) || !liveById.has(snapshot.id));
  // Kept in the order they came (this worker's own snapshot first).
  return { live: live.filter((snapshot) => liveById.get(snapshot.id) === snapshot), dead };
}

function isFolded(snapshot: WorkerSnapshot | FoldedSnapshot): snapshot is FoldedSnapshot {
  return Array.isArray((snapshot as FoldedSnapshot).ids);
}
