/**
 * The peer transport with real unix sockets, real prom-client Registries and the worker's own
 * compactor: values-only answers are read against the key table they belong to, never another one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Registry } from 'prom-client';
import type { WorkerSnapshot } from '../../lib/cluster/cluster-directory';
import { askPeer, peerAnswer, PeerServer } from '../../lib/cluster/cluster-peers';
import { SnapshotCompactor } from '../../lib/cluster/cluster-snapshot-compactor';

/** One worker process: its Registry, its compactor, and a peer server answering as the module's does. */
function worker(socketPath: string, id: string, series: Array<[string, number]>) {
  const registry = new Registry();
  const counter = new Counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['queue'], registers: [registry] });
  for (const [queue, n] of series) counter.inc({ queue }, n);
  const compactor = new SnapshotCompactor();
  let seq = 0;
  const take = async (): Promise<{ snapshot: WorkerSnapshot; json: string }> => {
    // The keys' name is read after the snapshot, which may change it (as the module does).
    const metrics = await compactor.snapshot(registry);
    const snapshot: WorkerSnapshot = { id, pid: 1, app: 'x', seq: ++seq, writtenAt: 0, keys: compactor.keysToken, metrics };
    return { snapshot, json: compactor.serialize(snapshot as any) };
  };
  const server = new PeerServer(socketPath, async (known) => {
    const { snapshot, json } = await take();
    return peerAnswer(snapshot, json, known);
  });
  return { counter, server, take };
}

/** `{ queue: value }` of a snapshot's jobs_total, as keys and values pair them. */
function counts(snapshot: WorkerSnapshot): Record<string, number> {
  const metric = snapshot.metrics.find((m) => m.name === 'jobs_total')!;
  return Object.fromEntries(metric.k.map((key, i) => [key.split('\u0000')[2], metric.v[i]]));
}

describe('cluster peers', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'obs-peers-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('sends values only while the asker holds this key table, and the asker puts them back on the right keys', async () => {
    const path = join(dir, 'w-1.sock');
    const peer = worker(path, '1-ab', [['a', 1], ['b', 2]]);
    await peer.server.listen();
    try {
      const first = await askPeer(path, 2000);
      expect(first.ok && counts(first.snapshot)).toEqual({ a: 1, b: 2 });
      peer.counter.inc({ queue: 'b' }, 5);
      const second = await askPeer(path, 2000, first.ok ? first.snapshot : undefined);
      expect(second.ok && counts(second.snapshot)).toEqual({ a: 1, b: 7 });
      // The keys were not sent again: the asker's own key array is reused.
      expect(second.ok && first.ok && second.snapshot.metrics[0].k).toBe(first.ok && first.snapshot.metrics[0].k);
    } finally {
      await peer.server.close();
    }
  });

  it('never reads a new process values against the key table of the process before it on the same socket (same id)', async () => {
    const path = join(dir, 'w-1.sock');
    const before = worker(path, '1-ab', [['a', 10], ['b', 1]]);
    await before.server.listen();
    const known = await askPeer(path, 2000);
    await before.server.close();
    expect(known.ok && counts(known.snapshot)).toEqual({ a: 10, b: 1 });
    // The replacement: the same id, the same number of series in another order, its own counts from 0;
    // its key table's version counts from 1 too.
    const after = worker(path, '1-ab', [['b', 3], ['a', 2]]);
    await after.server.listen();
    try {
      const answer = await askPeer(path, 2000, known.ok ? known.snapshot : undefined);
      expect(answer.ok && counts(answer.snapshot)).toEqual({ a: 2, b: 3 });
    } finally {
      await after.server.close();
    }
  });
});
