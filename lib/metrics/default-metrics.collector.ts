import {
  constants as perfConstants,
  monitorEventLoopDelay,
  performance,
  PerformanceObserver,
  type ELDHistogram,
  type EventLoopUtilization,
} from 'node:perf_hooks';
import { Gauge, Histogram, Registry } from 'prom-client';
import { DefaultMetricsOptions } from '../observability-options.interface';

type MetricInstaller = (registry: Registry, config: Record<string, unknown>) => void;

// prom-client's own collectors that hold no process-wide resources. Its GC and event-loop
// collectors are replaced below because they start a PerformanceObserver and a delay monitor
// that can never be stopped: 50 test apps would leave 50 of each running. Its `processHandles` and
// `processRequests` are replaced too: they call `process._getActiveHandles()` / `_getActiveRequests()`,
// Node internals that aborted a Node 24 process here (AsyncWrap::GetOwner assertion) during a scrape.
// `processResources` is replaced by a bounded version (see `startActiveResources`).
const STATELESS_COLLECTORS = [
  'processCpuTotal',
  'processStartTime',
  'osMemoryHeap',
  'processOpenFileDescriptors',
  'processMaxFileDescriptors',
  'heapSizeAndUsed',
  'heapSpacesSizeAndUsed',
  'version',
];

/** At most this many `type` values per resource gauge; the rest are summed under `type="other"`. */
export const MAX_RESOURCE_TYPES = 32;

// libuv requests among `process.getActiveResourcesInfo()`'s names (FSReqCallback, GetAddrInfoReqWrap,
// WriteWrap, ...); everything else is a handle (sockets, servers, timers, pipes, ...), as prom-client splits them.
const REQUEST_TYPE = /Req(Wrap|Callback)?$|^(Write|Shutdown|Connect)Wrap$/;

const GC_KINDS: Record<number, string> = {
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

/**
 * Registers the process and Node.js runtime metrics in one Registry, and releases what they hold on
 * `dispose()`: prom-client's `collectDefaultMetrics` names (CPU, memory, heap and heap spaces, fds,
 * event-loop lag, GC, `nodejs_active_resources{type}`), less the gauges named `*_total` unless
 * `promClientNames` asks for them, plus `nodejs_eventloop_utilization_ratio`.
 */
export class DefaultMetricsCollector {
  private gcObserver: PerformanceObserver | null = null;
  private loopMonitor: ELDHistogram | null = null;
  private lastUtilization: EventLoopUtilization = performance.eventLoopUtilization();

  constructor(
    private readonly registry: Registry,
    private readonly options: Required<DefaultMetricsOptions>,
  ) {}

  /** Registers every default metric. */
  start(): void {
    const config = { prefix: this.options.prefix, labels: {}, eventLoopMonitoringPrecision: this.options.eventLoopMonitoringPrecision };
    for (const name of STATELESS_COLLECTORS) {
      const install = require(`prom-client/lib/metrics/${name}`) as MetricInstaller;
      install(this.registry, config);
    }
    this.startActiveResources();
    this.startEventLoopLag();
    this.startEventLoopUtilization();
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

  /**
   * `nodejs_active_resources{type}` from the public `process.getActiveResourcesInfo()`, at most
   * MAX_RESOURCE_TYPES types (the largest; the rest as `other`), and with `promClientNames` the
   * handle/request split and the `*_total` sums under prom-client's names. One read per scrape.
   */
  private startActiveResources(): void {
    const host = process as { getActiveResourcesInfo?: () => string[] };
    if (typeof host.getActiveResourcesInfo !== 'function') return;
    const prefix = this.options.prefix;
    const gauge = (name: string, help: string, labelNames: string[] = [], collect?: () => void) =>
      new Gauge({ name: `${prefix}${name}`, help, labelNames, registers: [this.registry], ...(collect ? { collect } : {}) });
    const compat = this.options.promClientNames;
    // One collect() reads the resources and sets every gauge of the group (the others have none).
    const byType = gauge(
      'nodejs_active_resources',
      'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
      ['type'],
      () => collect(),
    );
    const extra = compat
      ? {
          resourcesTotal: gauge('nodejs_active_resources_total', 'Total number of active resources.'),
          handles: gauge('nodejs_active_handles', 'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.', ['type']),
          handlesTotal: gauge('nodejs_active_handles_total', 'Total number of active handles.'),
          requests: gauge('nodejs_active_requests', 'Number of active libuv requests grouped by request type. Every request type is C++ class name.', ['type']),
          requestsTotal: gauge('nodejs_active_requests_total', 'Total number of active requests.'),
        }
      : null;
    const setBounded = (target: Gauge, counts: Map<string, number>) => {
      target.reset();
      const sorted = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
      for (const [type, count] of sorted.slice(0, MAX_RESOURCE_TYPES)) target.set({ type }, count);
      const rest = sorted.slice(MAX_RESOURCE_TYPES).reduce((sum, [, count]) => sum + count, 0);
      if (rest > 0) target.inc({ type: 'other' }, rest);
    };
    const collect = () => {
      const all = new Map<string, number>();
      const handles = new Map<string, number>();
      const requests = new Map<string, number>();
      const types = host.getActiveResourcesInfo?.() ?? [];
      for (const type of types) {
        all.set(type, (all.get(type) ?? 0) + 1);
        const split = REQUEST_TYPE.test(type) ? requests : handles;
        split.set(type, (split.get(type) ?? 0) + 1);
      }
      setBounded(byType, all);
      if (!extra) return;
      extra.resourcesTotal.set(types.length);
      setBounded(extra.handles, handles);
      setBounded(extra.requests, requests);
      extra.handlesTotal.set([...handles.values()].reduce((a, b) => a + b, 0));
      extra.requestsTotal.set([...requests.values()].reduce((a, b) => a + b, 0));
    };
  }

  /** `nodejs_eventloop_utilization_ratio`: the share of time the event loop was busy since the previous scrape. */
  private startEventLoopUtilization(): void {
    const gauge: Gauge = new Gauge({
      name: `${this.options.prefix}nodejs_eventloop_utilization_ratio`,
      help: 'Event loop utilization since the previous scrape: the share of the time the event loop was busy (0 to 1).',
      registers: [this.registry],
      collect: () => {
        const now = performance.eventLoopUtilization();
        gauge.set(performance.eventLoopUtilization(now, this.lastUtilization).utilization);
        this.lastUtilization = now;
      },
    });
  }
}
