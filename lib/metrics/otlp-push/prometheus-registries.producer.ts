import type { HrTime } from '@opentelemetry/api';
import type { CollectionResult, MetricProducer, ScopeMetrics } from '@opentelemetry/sdk-metrics';
import type { Registry } from 'prom-client';
import { PrometheusMetricJson, toMetricData } from './prometheus-metric-data.converter';

/** Counters that count since the process started, not since the module did. */
const SINCE_PROCESS_START = /^(.*_)?process_cpu_(user_|system_)?seconds_total$/;

interface RegistrySource {
  registry: Registry;
  startTime: HrTime;
  skippedReported: boolean;
  /** Removed: collected once more (the final push of a stopping app), then forgotten. */
  leaving: boolean;
  /** Per cumulative metric: its total at the last push, and a later start time once it went down (a reset). */
  totals: Map<string, number>;
  restarts: Map<string, HrTime>;
}

/**
 * The `MetricProducer` that the SDK's OTLP push reader collects besides the OpenTelemetry-API meters: it
 * reads every prom-client Registry that an `ObservabilityModule` registered (one per app; the module adds
 * its Registry at init and removes it when it stops), so that HTTP metrics, `@Counted()`, `@Timed()`,
 * custom and default metrics are pushed with the values `/metrics` shows.
 * Each Registry is one scope `nestjs-observability` in the push; two apps in one process push two such
 * scopes under one resource (tell them apart with `metrics.defaultLabels`).
 */
export class PrometheusRegistriesProducer implements MetricProducer {
  private readonly sources = new Set<RegistrySource>();

  constructor(private readonly warn: (message: string) => void) {}

  /**
   * Adds a Registry, whose series count from `startedAt` (epoch ms, default now) on; returns the
   * function that removes it. A removed Registry is still read by the next collection (the SDK's final
   * push when the app stops: its last values go out), then forgotten.
   */
  add(registry: Registry, startedAt = Date.now()): () => void {
    const source: RegistrySource = { registry, startTime: hrTime(startedAt), skippedReported: false, leaving: false, totals: new Map(), restarts: new Map() };
    this.sources.add(source);
    return () => void (source.leaving = true);
  }

  /** How many Registries are registered. */
  get size(): number {
    return this.sources.size;
  }

  async collect(): Promise<CollectionResult> {
    const endTime = hrTime(Date.now());
    const processStart = hrTime(performance.timeOrigin);
    const scopeMetrics: ScopeMetrics[] = [];
    const errors: unknown[] = [];
    for (const source of [...this.sources]) {
      if (source.leaving) this.sources.delete(source);
      try {
        const json = (await source.registry.getMetricsAsJSON()) as unknown as PrometheusMetricJson[];
        noteResets(source, json, endTime);
        const { data, skipped } = toMetricData(
          json,
          (name) => source.restarts.get(name) ?? (SINCE_PROCESS_START.test(name) ? processStart : source.startTime),
          endTime,
        );
        scopeMetrics.push({ scope: { name: 'nestjs-observability' }, metrics: data });
        if (skipped.length && !source.skippedReported) {
          source.skippedReported = true;
          this.warn(`Summaries have no OTLP form in the OpenTelemetry JS SDK, so these are on /metrics but not pushed: ${skipped.join(', ')}. Use histograms to push them.`);
        }
      } catch (error) {
        errors.push(error);
      }
    }
    // The reader keeps the SDK's own resource; this one is not read.
    return { resourceMetrics: { resource: undefined as never, scopeMetrics }, errors };
  }
}

/**
 * A cumulative metric whose total went down was reset (`registry.resetMetrics()`, `metric.reset()`,
 * a series removed): its points start again now, so that the backend does not read a negative increase.
 */
function noteResets(source: RegistrySource, json: PrometheusMetricJson[], now: HrTime): void {
  for (const metric of json) {
    if (metric.type !== 'counter' && metric.type !== 'histogram') continue;
    const countName = `${metric.name}_count`;
    let total = 0;
    for (const v of metric.values ?? []) if (metric.type === 'counter' || v.metricName === countName) total += v.value;
    const last = source.totals.get(metric.name);
    if (last !== undefined && total < last) source.restarts.set(metric.name, now);
    source.totals.set(metric.name, total);
  }
}

function hrTime(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  return [seconds, Math.round((epochMs - seconds * 1000) * 1e6)];
}
