import { Logger } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import type { MetricData, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { CallbackMetric } from '../callback.metric';
import type { ExpositionFormat } from '../metrics.renderer';
import type { ResolvedOpenTelemetryMetricsOptions } from '../metrics-options.interface';
import { NestjsOtelTrapDetector } from './nestjs-otel-trap.detector';
import { isObservabilityMetricReader, ObservabilityMetricReader } from './observability-metric.reader';
import { loadExporterPrometheus, loadSdkMetrics } from './otel-sdk-packages';
import { nameWithUnit, prometheusUnit } from './prometheus-unit';
import { namesOf, SerializedFamily, splitFamilies, stripTotal, writeFamilies } from './serialized-families';

/** How long one scrape waits for the SDK's collection (observable callbacks included). */
const COLLECT_TIMEOUT_MS = 5000;

/**
 * The OpenTelemetry-API half of `/metrics`: at each scrape it collects the `ObservabilityMetricReader`(s), applies
 * the unit naming rules, serializes with `@opentelemetry/exporter-prometheus`'s `PrometheusSerializer`, and drops
 * any family whose name clashes with the prom-client Registry (the prom-client metric is kept; the clash is logged
 * once and counted in `otel_metric_name_clashes_total`).
 */
export class OpenTelemetryMetricsSource {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly reported = new Set<string>();
  private readonly clashes = new Map<string, number>();
  private clashMetricRegistered = false;
  private serializer: { serialize(metrics: ResourceMetrics): string } | null = null;
  private readonly trap = new NestjsOtelTrapDetector();

  constructor(
    private readonly options: ResolvedOpenTelemetryMetricsOptions,
    private readonly registry: Registry,
    private readonly registerMetric: (metric: CallbackMetric) => void,
  ) {}

  /** Boot-time check: nestjs-otel loaded while no `MeterProvider` is registered (its instruments would stay no-ops). */
  checkAtBoot(): void {
    if (!this.options.enabled) return;
    this.trap.check();
    // Load the serializer now rather than in the first scrape (a cold require can outlast a 1 s scrape timeout).
    if (this.readers().length > 0) this.serializerInstance();
  }

  /**
   * Under `metrics.cluster`, a scrape shows the sum over the workers, but a reader holds this worker's metrics only:
   * rendering them would make counters jump between workers. Returns `''`, and warns once when an
   * OpenTelemetry-API instrument exists (a reader alone, with no instrument, leaves nothing out).
   */
  async leaveOutOfClusterScrape(): Promise<string> {
    if (this.reported.has('cluster')) return '';
    for (const reader of this.readers()) {
      const collected = await reader.collect({ timeoutMillis: COLLECT_TIMEOUT_MS }).catch(() => null);
      if (collected?.resourceMetrics.scopeMetrics.some((scope) => scope.metrics.length > 0)) {
        this.reported.add('cluster');
        this.logger.warn(
          'OpenTelemetry-API metrics are left out of /metrics under metrics.cluster: each worker holds its own, and one worker\'s ' +
            'values would pass for the sum. Push them over OTLP instead (OTEL_METRICS_EXPORTER=otlp).',
        );
        break;
      }
    }
    return '';
  }

  /** The readers to render now: the one from the options, then the one on the global `MeterProvider`. */
  readers(): ObservabilityMetricReader[] {
    if (!this.options.enabled) return [];
    const found: ObservabilityMetricReader[] = [];
    if (this.options.reader) found.push(this.options.reader);
    if (this.options.globalProvider) {
      const global = ObservabilityMetricReader.attachedTo(metrics.getMeterProvider());
      if (global && !found.includes(global)) found.push(global);
    }
    return found.filter(isObservabilityMetricReader);
  }

  /**
   * The OpenTelemetry families in `format` (no `# EOF`), or `''` when there is no reader. Call it before the
   * Registry is rendered: a first clash registers its counter there.
   */
  async render(format: ExpositionFormat): Promise<string> {
    if (this.options.enabled) this.trap.check();
    const readers = this.readers();
    if (readers.length === 0) return '';
    try {
      return await this.renderReaders(readers, format);
    } catch (error) {
      // The prom-client half of the scrape must survive whatever the OpenTelemetry half does.
      this.once(`render:${String(error)}`, `OpenTelemetry metrics are left out of /metrics: rendering them failed (${(error as Error)?.stack ?? String(error)}).`);
      return '';
    }
  }

  private async renderReaders(readers: ObservabilityMetricReader[], format: ExpositionFormat): Promise<string> {
    const taken = this.registryNames();
    const kept: SerializedFamily[] = [];
    for (const reader of readers) {
      const resourceMetrics = await this.collect(reader);
      if (!resourceMetrics) continue;
      for (const family of splitFamilies(this.serialize(resourceMetrics))) {
        const names = namesOf(family);
        const clash = names.find((name) => taken.has(name));
        if (clash !== undefined) {
          this.clash(family.name, clash);
          continue;
        }
        for (const name of names) taken.add(name);
        kept.push(family);
      }
    }
    return writeFamilies(kept, format === 'openmetrics');
  }

  private async collect(reader: ObservabilityMetricReader): Promise<ResourceMetrics | null> {
    try {
      const { resourceMetrics, errors } = await reader.collect({ timeoutMillis: COLLECT_TIMEOUT_MS });
      for (const error of errors) this.once(`collect:${String(error)}`, `OpenTelemetry metrics collection reported an error (the rest is rendered): ${String(error)}`);
      return withUnitSuffixes(resourceMetrics);
    } catch (error) {
      this.once(`reader:${String(error)}`, `OpenTelemetry metrics are left out of /metrics: their reader failed (${String((error as Error)?.message ?? error)}).`);
      return null;
    }
  }

  private serializerInstance(): { serialize(metrics: ResourceMetrics): string } {
    if (!this.serializer) {
      const { PrometheusSerializer } = loadExporterPrometheus();
      // One serializer per source: it remembers which HELP/UNIT conflicts it already warned about.
      this.serializer = new PrometheusSerializer(undefined, false, undefined, !this.options.targetInfo, !this.options.scopeLabels);
    }
    return this.serializer;
  }

  private serialize(resourceMetrics: ResourceMetrics): string {
    return this.serializerInstance().serialize(resourceMetrics);
  }

  /** Every name the Registry puts in an exposition, in either format. */
  private registryNames(): Set<string> {
    const taken = new Set<string>();
    for (const metric of this.registry.getMetricsAsArray() as unknown as Array<{ name: string; type?: string }>) {
      const { name } = metric;
      taken.add(name).add(stripTotal(name));
      if (metric.type === 'counter') taken.add(`${stripTotal(name)}_total`);
      if (metric.type === 'histogram' || metric.type === 'summary') taken.add(`${name}_sum`).add(`${name}_count`).add(`${name}_created`);
      if (metric.type === 'histogram') taken.add(`${name}_bucket`);
    }
    return taken;
  }

  private clash(family: string, name: string): void {
    this.clashes.set(family, (this.clashes.get(family) ?? 0) + 1);
    if (!this.clashMetricRegistered) {
      this.clashMetricRegistered = true;
      this.registerMetric(
        new CallbackMetric(
          'otel_metric_name_clashes_total',
          'Scrapes that left out an OpenTelemetry metric family because its name clashes with a prom-client metric.',
          'counter',
          () => [...this.clashes].map(([metric, value]) => ({ labels: { metric }, value })),
        ),
      );
    }
    this.once(
      `clash:${family}`,
      `The OpenTelemetry metric "${family}" is left out of /metrics: "${name}" is already a prom-client metric of this module's Registry. ` +
        `The prom-client metric is kept. Rename one of them (scrapes that drop it are counted in otel_metric_name_clashes_total).`,
    );
  }

  private once(key: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.logger.error(message);
  }
}

/** A copy of `resourceMetrics` whose metric names carry their unit suffix, and whose units are Prometheus unit words. */
function withUnitSuffixes(resourceMetrics: ResourceMetrics): ResourceMetrics {
  const { DataPointType } = loadSdkMetrics();
  return {
    resource: resourceMetrics.resource,
    scopeMetrics: resourceMetrics.scopeMetrics.map((scopeMetrics) => ({
      scope: scopeMetrics.scope,
      metrics: scopeMetrics.metrics.map((metric): MetricData => {
        const isGauge = metric.dataPointType === DataPointType.GAUGE || (metric.dataPointType === DataPointType.SUM && !metric.isMonotonic);
        const unit = prometheusUnit(metric.descriptor.unit, isGauge);
        return { ...metric, descriptor: { ...metric.descriptor, name: nameWithUnit(metric.descriptor.name, unit), unit } } as MetricData;
      }),
    })),
  };
}
