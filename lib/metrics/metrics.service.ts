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
import { exposedNames } from './exposed-names';
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
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

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
  /** Registry size at the last clash check of a render, and the clashes already logged. */
  private checkedRegistrySize = -1;
  private readonly reportedClashes = new Set<string>();
  /** Metric (name and type) per name it writes in an exposition (see `exposedNames()`), to refuse two metrics writing one name. */
  private readonly exposed = new Map<string, { metric: string; type: string }>();
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

  /** Claims the exposition names of metrics put in the Registry without `declare()` (default metrics, `registerMetric()`). */
  private claimRegistryMetrics(): void {
    for (const metric of this.registry.getMetricsAsArray() as unknown as Array<{ name: string; type?: string }>) {
      if (this.exposed.get(metric.name)?.metric === metric.name) continue;
      for (const written of exposedNames(metric.type ?? 'untyped', metric.name)) {
        if (!this.exposed.has(written)) this.exposed.set(written, { metric: metric.name, type: metric.type ?? 'untyped' });
      }
    }
  }

  /**
   * Every pair of Registry metrics that write one name in an exposition, for metrics registered in the Registry
   * directly, which `declare()` does not see: one line per clash.
   */
  private registryClashes(): string[] {
    const owners = new Map<string, { metric: string; type: string }>();
    const clashes: string[] = [];
    for (const metric of this.registry.getMetricsAsArray() as unknown as Array<{ name: string; type?: string }>) {
      const type = metric.type ?? 'untyped';
      for (const written of exposedNames(type, metric.name)) {
        const owner = owners.get(written);
        if (owner === undefined) owners.set(written, { metric: metric.name, type });
        else if (owner.metric !== metric.name) {
          clashes.push(`the ${owner.type} "${owner.metric}" and the ${type} "${metric.name}" both write "${written}"`);
          break;
        }
      }
    }
    return clashes;
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
    if (!this.source) this.reportLateClashes();
    return { registry, otel: otel || '' };
  }

  /**
   * Metrics put in the Registry directly after boot escape `declare()` and the bootstrap check: a clash among them
   * is logged once at the scrape that first sees it (the check runs again only when the Registry's size changed).
   */
  private reportLateClashes(): void {
    const size = this.registry.getMetricsAsArray().length;
    if (size === this.checkedRegistrySize) return;
    this.checkedRegistrySize = size;
    for (const clash of this.registryClashes()) {
      if (this.reportedClashes.has(clash)) continue;
      this.reportedClashes.add(clash);
      this.logger.error(`Metric names clash in the Registry: ${clash}. Prometheus rejects or drops such a scrape (promtool check metrics fails). Rename one of them.`);
    }
  }

  /** Makes `render()` read its metrics from `source` (`null`: this module's own Registry again). */
  useSource(source: MetricsSource | null): void {
    this.source = source;
  }

  onApplicationBootstrap(): void {
    const clashes = this.registryClashes();
    if (clashes.length > 0) {
      throw new ObservabilityConfigError(
        `Metric names clash in the Registry: ${clashes.join('; ')}. Prometheus rejects or drops such a scrape (promtool check metrics fails). Rename one of each pair.`,
      );
    }
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
    if (name.startsWith('__')) {
      throw new ObservabilityConfigError(`Invalid metric name "${name}" (declared as ${origin}): names that start with "__" are reserved for Prometheus' own use.`);
    }
    if (typeof config.help !== 'string' || config.help === '') {
      throw new ObservabilityConfigError(`Metric "${name}" (declared as ${origin}) needs a non-empty "help" text.`);
    }
    const labelNames = [...(config.labelNames ?? [])].sort();
    checkLabelNames(name, origin, type, labelNames);
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
    this.claimRegistryMetrics();
    const written = exposedNames(type, name);
    for (const one of written) {
      const owner = this.exposed.get(one);
      if (owner === undefined || owner.metric === name) continue;
      const ownerOrigin = this.declarations.get(owner.metric)?.origin ?? 'a metric registered in the Registry directly';
      throw new ObservabilityConfigError(
        `Metric "${name}" (declared as ${origin}, a ${type}) and metric "${owner.metric}" (declared as ${ownerOrigin}, a ${owner.type}) ` +
          `would both write "${one}" ` +
          `in /metrics: a histogram also writes <name>_bucket, _sum and _count, a summary _sum and _count, a counter <name>_total in OpenMetrics. ` +
          `Prometheus rejects or drops such a scrape (promtool check metrics fails). Rename one of them.`,
      );
    }
    const metric = create();
    this.declarations.set(name, { type, labelNames, metric, origin, lean });
    this.families.set(family, name);
    for (const one of written) this.exposed.set(one, { metric: name, type });
    return metric;
  }
}

/** Label names Prometheus accepts: its name syntax, nothing reserved (`__…`, a histogram's `le`, a summary's `quantile`), no repeats. */
function checkLabelNames(name: string, origin: string, type: MetricType, labelNames: readonly string[]): void {
  const fail = (why: string) => {
    throw new ObservabilityConfigError(`Metric "${name}" (declared as ${origin}) has ${why}.`);
  };
  for (const [i, label] of labelNames.entries()) {
    if (typeof label !== 'string' || !LABEL_NAME.test(label)) fail(`an invalid label name ${JSON.stringify(label)}: a label name matches [a-zA-Z_][a-zA-Z0-9_]*`);
    if (label.startsWith('__')) fail(`the label "${label}": label names that start with "__" are reserved, and Prometheus drops them from scraped series`);
    if (type === 'histogram' && label === 'le') fail(`the label "le", which a histogram writes for its buckets`);
    if (type === 'summary' && label === 'quantile') fail(`the label "quantile", which a summary writes for its quantiles`);
    if (i > 0 && labelNames[i - 1] === label) fail(`the label "${label}" twice`);
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
