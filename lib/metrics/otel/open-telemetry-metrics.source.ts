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
import { exposedNames } from '../exposed-names';
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
    const translated = new Map<string, TranslatedOwner>();
    for (const reader of readers) {
      const resourceMetrics = await this.collect(reader);
      if (!resourceMetrics) continue;
      for (const family of splitFamilies(this.serialize(this.withoutTranslationClashes(resourceMetrics, translated)))) {
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

  /**
   * Leaves out each instrument whose Prometheus names (after unit suffix, `.` → `_`, `_total`) another instrument
   * already writes: `x.y` (gauge, unit `s`) and the histogram `x.y.seconds` both become `x_y_seconds`, which made
   * the serializer drop both; the counters `a.b` and `a_b` both become `a_b_total`, which gave duplicate series.
   * The first one is kept; the clash is logged once and counted. One instrument name in several meters (scopes)
   * is no clash: its series differ by `otel_scope_name`.
   */
  private withoutTranslationClashes(resourceMetrics: ResourceMetrics, owners: Map<string, TranslatedOwner>): ResourceMetrics {
    const { DataPointType } = loadSdkMetrics();
    return {
      resource: resourceMetrics.resource,
      scopeMetrics: resourceMetrics.scopeMetrics.map((scopeMetrics) => ({
        scope: scopeMetrics.scope,
        metrics: scopeMetrics.metrics.filter((metric) => {
          const type =
            metric.dataPointType === DataPointType.HISTOGRAM || metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM
              ? 'histogram'
              : metric.dataPointType === DataPointType.SUM && metric.isMonotonic
                ? 'counter'
                : 'gauge';
          const sanitized = metric.descriptor.name.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
          const prometheusName = type === 'counter' && !sanitized.endsWith('_total') ? `${sanitized}_total` : sanitized;
          const self: TranslatedOwner = { instrument: metric.descriptor.name, type };
          const written = exposedNames(type, prometheusName);
          for (const one of written) {
            const owner = owners.get(one);
            if (owner === undefined || (owner.instrument === self.instrument && owner.type === self.type)) continue;
            this.translationClash(prometheusName, self, owner, one);
            return false;
          }
          for (const one of written) owners.set(one, self);
          return true;
        }),
      })),
    };
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
      for (const name of exposedNames(metric.type ?? 'untyped', metric.name)) taken.add(name);
      taken.add(stripTotal(metric.name));
    }
    return taken;
  }

  private translationClash(prometheusName: string, left: TranslatedOwner, kept: TranslatedOwner, written: string): void {
    this.count(prometheusName);
    this.once(
      `translation:${left.instrument}:${left.type}`,
      `The OpenTelemetry instrument "${left.instrument}" (a ${left.type}) is left out of /metrics: in Prometheus it becomes "${prometheusName}", ` +
        `and the ${kept.type} "${kept.instrument}" already writes "${written}" (names lose their dots and gain their unit and _total). ` +
        `Rename one of them (scrapes that drop it are counted in otel_metric_name_clashes_total).`,
    );
  }

  private clash(family: string, name: string): void {
    this.count(family);
    this.once(
      `clash:${family}`,
      `The OpenTelemetry metric "${family}" is left out of /metrics: "${name}" is already a prom-client metric of this module's Registry. ` +
        `The prom-client metric is kept. Rename one of them (scrapes that drop it are counted in otel_metric_name_clashes_total).`,
    );
  }

  /** Counts one scrape that left out `family`, in otel_metric_name_clashes_total (registered on the first clash). */
  private count(family: string): void {
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
  }

  private once(key: string, message: string): void {
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.logger.error(message);
  }
}

/** The instrument that writes a Prometheus name in this scrape. */
interface TranslatedOwner {
  instrument: string;
  type: string;
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
