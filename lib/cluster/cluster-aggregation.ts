import { AggregatorRegistry, Registry } from 'prom-client';
import { WorkerSnapshot } from './cluster-directory';

/** The label that tells workers apart in the metrics kept per worker. */
export const WORKER_LABEL = 'worker';

/**
 * Merges workers' snapshots into one Registry, with prom-client's `AggregatorRegistry.aggregate()`:
 * - counters and histograms are summed over live and dead workers (a dead worker's counts are kept,
 *   so the sum never goes backwards);
 * - gauges follow their own `aggregator` (prom-client's default is `sum`, so `http_server_active_requests`
 *   is the cluster's in-flight total; a Gauge declared with `aggregator: 'max'` gives the max), over
 *   live workers only;
 * - the metrics in `perWorker` (process and runtime metrics, by default) and summaries, whose quantiles
 *   cannot be summed, get a `worker` label with the worker's pid: one series per live worker, so that
 *   one worker's leak or lag stays visible.
 */
export function aggregateSnapshots(live: WorkerSnapshot[], dead: Array<{ metrics: any[] }>, perWorker: ReadonlySet<string>): Registry {
  const inputs: any[][] = [];
  for (const snapshot of live) {
    inputs.push(snapshot.metrics.map((metric) => (perWorker.has(metric.name) || metric.type === 'summary' ? labelled(metric, snapshot.pid) : metric)));
  }
  for (const snapshot of dead) {
    inputs.push(snapshot.metrics.filter((m) => (m.type === 'counter' || m.type === 'histogram') && !perWorker.has(m.name)));
  }
  return AggregatorRegistry.aggregate(inputs);
}

function labelled(metric: any, pid: number): any {
  const worker = String(pid);
  return {
    ...metric,
    // Each series is unique to its worker now; `sum` keeps it as it is (`omit`/`first` would drop or pick).
    aggregator: 'sum',
    values: (metric.values ?? []).map((v: any) => ({ ...v, labels: { ...v.labels, [WORKER_LABEL]: worker } })),
  };
}
