import type { MeterProvider as ApiMeterProvider } from '@opentelemetry/api';
import type {
  AggregationOption,
  AggregationTemporality,
  CollectionResult,
  IMetricReader,
  InstrumentType,
  MetricProducer,
  MetricReaderOptions,
} from '@opentelemetry/sdk-metrics';
import { loadSdkMetrics } from './otel-sdk-packages';

/**
 * The property, on a `MeterProvider` object, that holds the `ObservabilityMetricReader` the module renders on
 * `/metrics`. A well-known `Symbol.for` key, so that every copy of this package in the process agrees on it.
 * Set it with `reader.attachTo(provider)`.
 *
 * @example
 * const reader = (metrics.getMeterProvider() as any)[OBSERVABILITY_METRIC_READER]; // what the module looks up
 */
export const OBSERVABILITY_METRIC_READER = Symbol.for('nestjs-observability.metric-reader');

/** Options of `ObservabilityMetricReader`: those of sdk-metrics' `MetricReader`, minus the export-side ones. */
export type ObservabilityMetricReaderOptions = Pick<MetricReaderOptions, 'aggregationSelector' | 'cardinalitySelector' | 'metricProducers'>;

/**
 * A pull `MetricReader` for the OpenTelemetry metrics SDK: it exports nothing by itself. The module calls its
 * `collect()` at scrape time and renders the result beside its prom-client Registry on `/metrics`, through
 * `@opentelemetry/exporter-prometheus`'s `PrometheusSerializer` (Prometheus text and OpenMetrics).
 * Temporality is cumulative, as Prometheus expects.
 *
 * How the module finds it, at every scrape:
 * 1. the reader given in `metrics.openTelemetry.reader`, if any;
 * 2. the reader attached (with `attachTo()`) to the global `MeterProvider` (`metrics.getMeterProvider()`),
 *    under the `OBSERVABILITY_METRIC_READER` symbol. `startObservabilitySdk()` and the `register` preload do this.
 * Both may be the same reader; it is rendered once.
 *
 * Expected usage by an SDK bootstrap (ours, or yours):
 * ```
 * const reader = new ObservabilityMetricReader();
 * const provider = reader.attachTo(new MeterProvider({ resource, readers: [reader, periodicOtlpReader] }));
 * metrics.setGlobalMeterProvider(provider);
 * ```
 * With `NodeSDK`, pass `metricReaders: [reader]` to it, then `reader.attachTo(metrics.getMeterProvider())`
 * after `sdk.start()`.
 *
 * `@opentelemetry/sdk-metrics` is loaded when a reader is constructed (never at import time), from the app
 * or through `@opentelemetry/sdk-node`.
 *
 * @example
 * import { metrics } from '@opentelemetry/api';
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 * import { ObservabilityMetricReader } from 'nestjs-observability';
 *
 * const reader = new ObservabilityMetricReader();
 * metrics.setGlobalMeterProvider(reader.attachTo(new MeterProvider({ readers: [reader] })));
 */
export class ObservabilityMetricReader implements IMetricReader {
  /** sdk-metrics' own base class does the work (producers, selectors, shutdown state); this class only pulls. */
  private readonly reader: IMetricReader;

  constructor(options: ObservabilityMetricReaderOptions = {}) {
    const { MetricReader } = loadSdkMetrics();
    class PullMetricReader extends MetricReader {
      protected override async onShutdown(): Promise<void> {}
      protected override async onForceFlush(): Promise<void> {}
    }
    this.reader = new PullMetricReader({ ...options, otelComponentType: 'ObservabilityMetricReader' } as MetricReaderOptions);
  }

  /**
   * Marks `provider` as the one whose metrics this reader collects, so that the module finds this reader from
   * the global `MeterProvider` at scrape time. Returns `provider`.
   *
   * @example
   * metrics.setGlobalMeterProvider(reader.attachTo(new MeterProvider({ readers: [reader] })));
   */
  attachTo<P extends ApiMeterProvider>(provider: P): P {
    Object.defineProperty(provider, OBSERVABILITY_METRIC_READER, { value: this, configurable: true, enumerable: false, writable: true });
    return provider;
  }

  /** The reader attached to `provider` with `attachTo()`, if any. */
  static attachedTo(provider: ApiMeterProvider | undefined | null): ObservabilityMetricReader | undefined {
    const reader = provider ? (provider as unknown as Record<symbol, unknown>)[OBSERVABILITY_METRIC_READER] : undefined;
    return isObservabilityMetricReader(reader) ? reader : undefined;
  }

  /** @internal Called once by the `MeterProvider` the reader is given to. */
  setMetricProducer(metricProducer: MetricProducer): void {
    this.reader.setMetricProducer(metricProducer);
  }

  selectAggregation(instrumentType: InstrumentType): AggregationOption {
    return this.reader.selectAggregation(instrumentType);
  }

  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    return this.reader.selectAggregationTemporality(instrumentType);
  }

  selectCardinalityLimit(instrumentType: InstrumentType): number {
    return this.reader.selectCardinalityLimit(instrumentType);
  }

  /** Collects the provider's current (cumulative) metrics. Rejects before a `MeterProvider` took the reader. */
  collect(options?: { timeoutMillis?: number }): Promise<CollectionResult> {
    return this.reader.collect(options);
  }

  shutdown(options?: { timeoutMillis?: number }): Promise<void> {
    return this.reader.shutdown(options);
  }

  forceFlush(options?: { timeoutMillis?: number }): Promise<void> {
    return this.reader.forceFlush(options);
  }
}

/**
 * Whether `value` is an `ObservabilityMetricReader`, from this copy of the package or another one (duck-typed,
 * as two copies have two classes).
 */
export function isObservabilityMetricReader(value: unknown): value is ObservabilityMetricReader {
  return (
    value instanceof ObservabilityMetricReader ||
    (typeof value === 'object' && value !== null && typeof (value as ObservabilityMetricReader).collect === 'function' && typeof (value as ObservabilityMetricReader).attachTo === 'function')
  );
}
