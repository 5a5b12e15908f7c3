import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver, type ELDHistogram } from 'node:perf_hooks';
import { Gauge, Histogram, Registry } from 'prom-client';
import { DefaultMetricsOptions } from '../observability-options.interface';

type MetricInstaller = (registry: Registry, config: Record<string, unknown>) => void;

// prom-client's own collectors that hold no process-wide resources. Its GC and event-loop
// collectors are replaced below because they start a PerformanceObserver and a delay monitor
// that can never be stopped: 50 test apps would leave 50 of each running. Its `processHandles` and
// `processRequests` are left out: they call `process._getActiveHandles()` / `_getActiveRequests()`,
// Node internals that aborted a Node 24 process here (AsyncWrap::GetOwner assertion) during a scrape;
// `nodejs_active_resources{type}` (from the public `process.getActiveResourcesInfo()`) covers both.
const STATELESS_COLLECTORS = [
  'processCpuTotal',
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'processResources',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
];

// prom-client exports this total as a gauge named `*_total`, which Prometheus' lint (promtool check
// metrics) rejects; the per-type gauge it sums (`nodejs_active_resources{type}`) stays.
const LINT_FAILING_GAUGES = ['nodejs_active_resources_total'];

const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * Registers the process and Node.js runtime metrics (prom-client's `collectDefaultMetrics` names, less
 * the handle/request gauges that read Node internals and a lint-failing `*_total` gauge) in one
 * Registry, and releases what they hold on `dispose()`.
 */
export class DefaultMetricsCollector {
  private gcObserver: PerformanceObserver | null = null;
  private loopMonitor: ELDHistogram | null = null;

  constructor(
    private readonly registry: Registry,
    private readonly options: Required<DefaultMetricsOptions>,
  ) {}

  /** Registers every default metric. */
  start(): void {
    const config = { prefix: this.options.prefix, labels: {}, eventLoopMonitoringPrecision: this.options.eventLoopMonitoringPrecision };
    for (const name of STATELESS_COLLECTORS) {
      if (name === 'processResources' && typeof (process as any).getActiveResourcesInfo !== 'function') continue;
      const install = require(`prom-client/lib/metrics/${name}`) as MetricInstaller;
      install(this.registry, config);
    }
    for (const name of LINT_FAILING_GAUGES) this.registry.removeSingleMetric(`${this.options.prefix}${name}`);
    this.startEventLoopLag();
    this.startGc();
  }

  /** Stops the GC observer and the event-loop delay monitor. */
  dispose(): void {
    this.gcObserver?.disconnect();
    this.gcObserver = null;
    this.loopMonitor?.disable();
    this.loopMonitor = null;
  }

  private startGc(): void {
    const histogram = new Histogram({
      name: `${this.options.prefix}nodejs_gc_duration_seconds`,
      help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
      labelNames: ['kind'],
      buckets: this.options.gcDurationBuckets,
      registers: [this.registry],
    });
    this.gcObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = GC_KINDS[((entry as { detail?: { kind?: number } }).detail)?.kind ?? -1] ?? 'unknown';
        histogram.observe({ kind }, entry.duration / 1000);
      }
    });
    this.gcObserver.observe({ entryTypes: ['gc'] });
  }

  private startEventLoopLag(): void {
    const prefix = this.options.prefix;
    const monitor = monitorEventLoopDelay({ resolution: this.options.eventLoopMonitoringPrecision });
    monitor.enable();
    this.loopMonitor = monitor;
    const gauge = (name: string, help: string, collect?: () => void) =>
      new Gauge({ name: `${prefix}${name}`, help, registers: [this.registry], ...(collect ? { collect } : {}) });

    const stats = {
      min: gauge('nodejs_eventloop_lag_min_seconds', 'The minimum recorded event loop delay.'),
      max: gauge('nodejs_eventloop_lag_max_seconds', 'The maximum recorded event loop delay.'),
      mean: gauge('nodejs_eventloop_lag_mean_seconds', 'The mean of the recorded event loop delays.'),
      stddev: gauge('nodejs_eventloop_lag_stddev_seconds', 'The standard deviation of the recorded event loop delays.'),
      p50: gauge('nodejs_eventloop_lag_p50_seconds', 'The 50th percentile of the recorded event loop delays.'),
      p90: gauge('nodejs_eventloop_lag_p90_seconds', 'The 90th percentile of the recorded event loop delays.'),
      p99: gauge('nodejs_eventloop_lag_p99_seconds', 'The 99th percentile of the recorded event loop delays.'),
    };
    const lag = gauge('nodejs_eventloop_lag_seconds', 'Lag of event loop in seconds.', () => {
      const start = process.hrtime.bigint();
      // The lag of this very scrape: how long until the loop runs a callback queued now.
      setImmediate(() => lag.set(Number(process.hrtime.bigint() - start) / 1e9));
      if (this.loopMonitor === null) return;
      stats.min.set(monitor.min / 1e9);
      stats.max.set(monitor.max / 1e9);
      stats.mean.set(monitor.mean / 1e9);
      stats.stddev.set(monitor.stddev / 1e9);
      stats.p50.set(monitor.percentile(50) / 1e9);
      stats.p90.set(monitor.percentile(90) / 1e9);
      stats.p99.set(monitor.percentile(99) / 1e9);
      monitor.reset();
    });
  }
}
