import { tmpdir } from 'node:os';
import { defaultBase, resolveClusterOptions } from '../../lib/cluster/cluster-options.resolver';

describe('resolveClusterOptions', () => {
  it('is off unless asked for', () => {
    expect(resolveClusterOptions(undefined, {})).toBe(false);
    expect(resolveClusterOptions(false, {})).toBe(false);
  });

  it('names the app after the main script outside pm2, with a directory of its own in /dev/shm (Linux) or the temp dir', () => {
    const resolved = resolveClusterOptions(true, {});
    expect(resolved).toMatchObject({ app: `script:${process.argv[1]}`, expectedWorkers: 0, snapshotIntervalMs: 5000, peerTimeoutMs: 2000, missingWorkersGraceMs: 30000, perWorker: [] });
    expect(resolved && resolved.directory).toMatch(new RegExp(`^${defaultBase()}/nestjs-observability-[0-9a-f]{12}$`));
  });

  it('puts the default directory in memory on Linux', () => {
    expect(defaultBase()).toBe(process.platform === 'linux' ? '/dev/shm' : tmpdir());
  });

  it("takes pm2's app name and instances, and the directory from the environment", () => {
    const env = { pm_id: '3', name: 'orders', instances: '4', NESTJS_OBSERVABILITY_CLUSTER_DIR: '/run/orders-metrics' };
    expect(resolveClusterOptions(true, env)).toMatchObject({ app: 'pm2:orders', expectedWorkers: 4, directory: '/run/orders-metrics' });
    // Two pm2 apps of one script get two directories.
    const other = resolveClusterOptions(true, { pm_id: '4', name: 'billing' });
    const orders = resolveClusterOptions(true, { pm_id: '3', name: 'orders' });
    expect(other && other.directory).not.toBe(orders && orders.directory);
    // `-i max` is not a number: no worker count is expected.
    expect(resolveClusterOptions({ app: 'x' }, { pm_id: '0', name: 'orders', instances: 'max' })).toMatchObject({ app: 'x', expectedWorkers: 0 });
  });
});
