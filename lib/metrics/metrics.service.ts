import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import {
  Counter,
  CounterConfiguration,
  Gauge,
  GaugeConfiguration,
  Histogram,
  HistogramConfiguration,
  Registry,
  Summary,
  SummaryConfiguration,
} from 'prom-client';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ObservabilityConfigError } from '../observability-config.error';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { CallbackMetric } from './callback.metric';
import { DefaultMetricsCollector } from './default-metrics.collector';
import { LeanCounter } from './lean-counter.metric';
import { LeanHistogram } from './lean-histogram.metric';
import { ExpositionFormat, renderRegistry, renderRegistryPieces } from './metrics.renderer';
import { OpenTelemetryMetricsSource } from './otel/open-telemetry-metrics.source';

type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

interface Declaration {
  type: MetricType;
  labelNames: string[];
  metric: unknown;
  origin: string;
  /** Whether it is one of the module's own lean metrics rather than a prom-client metric. */
  lean: boolean;
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * Where `render()` takes its metrics from instead of this module's Registry, for example the merged
 * Registry of all workers (`metrics.cluster`).
 */
export interface MetricsSource {
  collect(): Promise<Registry>;
}

/**
 * Owns this module instance's prom-client `Registry` (never the global `register`), and is
 * the one place where metrics are declared. Declaring a name twice with the same type and
 * label names returns the existing metric; any other clash fails with a message that names both.
 *
 * @example
 * constructor(private readonly metrics: MetricsService) {
 *   this.retries = metrics.counter({ name: 'payment_retries_total', help: 'Payment retries', labelNames: ['provider'] });
 * }
 */
@Injectable()
export class MetricsService implements OnApplicationBootstrap, OnModuleDestroy {
  /** The module instance's Registry. */
  readonly registry = new Registry();
  private readonly declarations = new Map<string, Declaration>();
  /** Metric name per OpenMetrics family name (a counter's family drops `_total`), to refuse two metrics in one family. */
  private readonly families = new Map<string, string>();
  private readonly defaultMetrics: DefaultMetricsCollector | null = null;
  private readonly logger = new Logger('ObservabilityModule');
  private readonly defaultLabels: Readonly<Record<string, string>>;
  /** `metrics.renderDutyCycle`: the share of the event loop a render takes while under way. */
  private readonly renderDutyCycle: number;
  /** The OpenTelemetry-API metrics rendered beside the Registry. */
  readonly openTelemetry: OpenTelemetryMetricsSource;
  private source: MetricsSource | null = null;
  /** Names of the process and runtime metrics (`metrics.defaultMetrics`) in the Registry. */
  readonly processMetricNames: ReadonlySet<string>;
  /** The render under way, per format: concurrent scrapes share it instead of rendering again. */
  private readonly rendering = new Map<ExpositionFormat, Promise<string>>();
  /** The same for `renderPieces()` (the scrape endpoint). */
  private readonly renderingPieces = new Map<ExpositionFormat, Promise<Buffer[]>>();

  constructor(@Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions) {
    this.defaultLabels = Object.freeze({ ...options.metrics.defaultLabels });
    this.renderDutyCycle = options.metrics.renderDutyCycle;
    this.openTelemetry = new OpenTelemetryMetricsSource(options.metrics.openTelemetry, this.registry, (metric) => this.registerCallbackMetric(metric));
    this.registry.setDefaultLabels({ ...this.defaultLabels });
    if (options.metrics.enabled && options.metrics.defaultMetrics) {
      this.defaultMetrics = new DefaultMetricsCollector(this.registry, options.metrics.defaultMetrics);
      this.defaultMetrics.start();
    }
    this.processMetricNames = new Set(this.registry.getMetricsAsArray().map((m) => (m as unknown as { name: string }).name));
  }

  /** Declares (or returns the identical, already declared) prom-client Counter. */
  counter<T extends string>(config: CounterConfiguration<T>): Counter<T> {
    return this.declare('counter', config, 'a Counter', false, () => new Counter({ ...config, registers: [this.registry] }));
  }

  /** Declares (or returns the identical, already declared) prom-client Gauge. */
  gauge<T extends string>(config: GaugeConfiguration<T>): Gauge<T> {
    return this.declare('gauge', config, 'a Gauge', false, () => new Gauge({ ...config, registers: [this.registry] }));
  }

  /** Declares (or returns the identical, already declared) prom-client Histogram. */
  histogram<T extends string>(config: HistogramConfiguration<T>): Histogram<T> {
    return this.declare('histogram', config, 'a Histogram', false, () => new Histogram({ ...config, registers: [this.registry] }));
  }

  /** Declares (or returns the identical, already declared) prom-client Summary. */
  summary<T extends string>(config: SummaryConfiguration<T>): Summary<T> {
    return this.declare('summary', config, 'a Summary', false, () => new Summary({ ...config, registers: [this.registry] }));
  }

  /** Declares a counter with pre-bindable children, for the module's hot paths. */
  leanCounter(name: string, help: string, labelNames: string[], origin: string): LeanCounter {
    return this.declare('counter', { name, help, labelNames }, origin, true, () => {
      const metric = new LeanCounter(name, help, labelNames);
      this.registry.registerMetric(metric as any);
      return metric;
    });
  }

  /** Declares a histogram with pre-bindable children, for the module's hot paths. */
  leanHistogram(name: string, help: string, labelNames: string[], buckets: number[], origin: string): LeanHistogram {
    return this.declare('histogram', { name, help, labelNames }, origin, true, () => {
      const metric = new LeanHistogram(name, help, labelNames, buckets);
      this.registry.registerMetric(metric as any);
      return metric;
    });
  }

  /** Registers a metric whose values are read at scrape time. */
  registerCallbackMetric(metric: CallbackMetric): CallbackMetric {
    return this.declare(metric.type, { name: metric.name, help: metric.help }, `the module's ${metric.name}`, true, () => {
      this.registry.registerMetric(metric as any);
      return metric;
    });
  }

  /**
   * Renders the Registry (or the source set with `useSource()`, such as all workers' merged metrics)
   * in the Prometheus text format or in OpenMetrics, in slices that let requests through (see
   * `renderRegistry()`). A scrape that arrives while a render of the same format is under way gets
   * that render's text: ten scrapers at once cost one render, and what they see is at most one render old.
   * The OpenTelemetry-API metrics (of this process) follow, before the one `# EOF` of OpenMetrics.
   */
  render(format: ExpositionFormat): Promise<string> {
    return shared(this.rendering, format, async () => {
      const { registry, otel } = await this.collectSources(format);
      const text = await renderRegistry(registry, format, this.defaultLabels, { dutyCycle: this.renderDutyCycle });
      if (!otel) return text;
      return format === 'openmetrics' && text.endsWith('# EOF\n') ? `${text.slice(0, -6)}${otel}# EOF\n` : text + otel;
    });
  }

  /**
   * `render()` as UTF-8 pieces of about 64 KB, encoded during the render's slices, for the scrape
   * endpoint: a scrape of several megabytes is then never joined, encoded or hashed in one step at the
   * end (~15 ms at 4 MB on a slow VM). Shared between concurrent scrapes like `render()`.
   *
   * @example
   * const pieces = await metrics.renderPieces('prometheus'); for (const piece of pieces) res.write(piece); res.end();
   */
  renderPieces(format: ExpositionFormat): Promise<Buffer[]> {
    return shared(this.renderingPieces, format, async () => {
      const { registry, otel } = await this.collectSources(format);
      return renderRegistryPieces(registry, format, this.defaultLabels, { dutyCycle: this.renderDutyCycle }, otel);
    });
  }

  private async collectSources(format: ExpositionFormat): Promise<{ registry: Registry; otel: string }> {
    // OpenTelemetry first: a name clash found there is counted in the Registry rendered next. Under
    // metrics.cluster, one worker's OpenTelemetry metrics would pass for the sum: they are left out (logged once).
    const otel = this.source ? await this.openTelemetry.leaveOutOfClusterScrape() : await this.openTelemetry.render(format);
    const registry = this.source ? await this.source.collect() : this.registry;
    return { registry, otel: otel || '' };
  }

  /** Makes `render()` read its metrics from `source` (`null`: this module's own Registry again). */
  useSource(source: MetricsSource | null): void {
    this.source = source;
  }

  onApplicationBootstrap(): void {
    this.openTelemetry.checkAtBoot();
  }

  onModuleDestroy(): void {
    this.defaultMetrics?.dispose();
  }

  private declare<M>(
    type: MetricType,
    config: { name: string; help?: string; labelNames?: readonly string[] },
    origin: string,
    lean: boolean,
    create: () => M,
  ): M {
    const { name } = config;
    if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
      throw new ObservabilityConfigError(
        `Invalid metric name ${JSON.stringify(name)} (declared as ${origin}): a Prometheus metric name matches [a-zA-Z_:][a-zA-Z0-9_:]*.`,
      );
    }
    if (typeof config.help !== 'string' || config.help === '') {
      throw new ObservabilityConfigError(`Metric "${name}" (declared as ${origin}) needs a non-empty "help" text.`);
    }
    const labelNames = [...(config.labelNames ?? [])].sort();
    const existing = this.declarations.get(name);
    if (existing) {
      if (existing.type !== type || existing.labelNames.join(',') !== labelNames.join(',')) {
        throw new ObservabilityConfigError(
          `Metric "${name}" is declared twice with different shapes: first as ${existing.origin}, a ${existing.type} ` +
            `with labels [${existing.labelNames.join(', ')}]; now as ${origin}, a ${type} with labels [${labelNames.join(', ')}]. ` +
            `Give one of them another name, or declare both with the same type and label names.`,
        );
      }
      if (existing.lean !== lean) {
        throw new ObservabilityConfigError(
          `Metric "${name}" is declared both as ${existing.origin} and as ${origin}. Give one of them another name.`,
        );
      }
      return existing.metric as M;
    }
    if (this.registry.getSingleMetric(name)) {
      throw new ObservabilityConfigError(
        `Metric "${name}" (declared as ${origin}) clashes with a metric of the same name that is already in the Registry ` +
          `(a default process metric, or one registered directly). Choose another name, or set "metrics.defaultMetrics.prefix".`,
      );
    }
    // OpenMetrics names a counter's family without `_total`: gauge `jobs` and counter `jobs_total` would
    // both be family `jobs`, and Prometheus rejects such an OpenMetrics scrape whole.
    const family = type === 'counter' && name.endsWith('_total') ? name.slice(0, -6) : name;
    const sharing = this.families.get(family);
    if (sharing !== undefined) {
      throw new ObservabilityConfigError(
        `Metric "${name}" (declared as ${origin}) and metric "${sharing}" (declared as ${this.declarations.get(sharing)?.origin}) ` +
          `would both be the family "${family}" in OpenMetrics (a counter's family drops "_total"), which Prometheus rejects. Rename one of them.`,
      );
    }
    const metric = create();
    this.declarations.set(name, { type, labelNames, metric, origin, lean });
    this.families.set(family, name);
    return metric;
  }
}

/** The render of `format` under way in `pending`, or a new one that removes itself when done. */
function shared<T>(pending: Map<ExpositionFormat, Promise<T>>, format: ExpositionFormat, render: () => Promise<T>): Promise<T> {
  let current = pending.get(format);
  if (current === undefined) {
    current = render().finally(() => pending.delete(format));
    pending.set(format, current);
  }
  return current;
}
