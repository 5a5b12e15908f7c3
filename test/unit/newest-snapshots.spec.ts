import type { FoldedSnapshot, WorkerSnapshot } from '../../lib/cluster/cluster-directory';
import { newestPerWorker } from '../../lib/cluster/newest-snapshots';

const snap = (id: string, seq: number): WorkerSnapshot => ({ id, pid: Number(id.split('-')[0]), app: 'x', seq, writtenAt: 0, metrics: [] });

describe('newestPerWorker', () => {
  it('keeps each worker once, from its newest snapshot, whether live or kept', () => {
    const answered = snap('1-a', 9);
    const staleKnown = snap('2-b', 3);
    const deadNewer = snap('2-b', 5);
    const deadOlder = snap('3-c', 1);
    const answeredAfterDeath = snap('3-c', 1);
    const onlyDead = snap('4-d', 2);
    const { live, dead } = newestPerWorker([answered, staleKnown, answeredAfterDeath], [deadNewer, deadOlder, onlyDead]);
    expect(live).toEqual([answered, answeredAfterDeath]);
    expect(dead).toEqual([deadNewer, onlyDead]);
  });

  it('reads a worker held by the folded file from there, and keeps the folded file whole', () => {
    const folded: FoldedSnapshot = { seq: 1, ids: ['2-b', '5-e'], metrics: [] };
    const { live, dead } = newestPerWorker([snap('1-a', 4), snap('2-b', 7)], [folded]);
    expect(live.map((s) => s.id)).toEqual(['1-a']);
    expect(dead).toEqual([folded]);
  });

  it('takes the newer of two live entries of one worker', () => {
    const older = snap('1-a', 2);
    const newer = snap('1-a', 6);
    expect(newestPerWorker([older, newer], []).live).toEqual([newer]);
  });
});
