import { metrics } from '@opentelemetry/api';
import { diag } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import { ExportFailureReporter, ExportLogger } from '../../tracing/sdk/export-failure.reporter';
import { otlpDestination, otlpExporterPackage, otlpProtocol } from '../../tracing/sdk/otlp-endpoint';
import { listFromEnv, numberFromEnv } from '../../tracing/sdk/sdk-env';
import type { SdkPackages } from '../../tracing/sdk/sdk-packages';
import { ObservabilityMetricReader } from '../otel/observability-metric.reader';
import { countingMetricExporter } from './counting-metric.exporter';
import { MetricExportStats } from './metric-export.stats';
import { PrometheusRegistriesProducer } from './prometheus-registries.producer';
import type { ObservabilitySdkMetricsOptions } from './sdk-metrics-options.interface';

/** Cumulative, as Prometheus counts (`AggregationTemporalityPreference.CUMULATIVE`). */
const CUMULATIVE = 1;

/** The metrics half of a started SDK: the global MeterProvider and its readers. */
export class SdkMetricsPipeline {
  /** Counters of the pushed metric points. */
  readonly stats = new MetricExportStats();
  /** Where metrics are pushed, or null when they are not. */
  readonly destination: string | null = null;
  private readonly producer: PrometheusRegistriesProducer;
  private readonly meterProvider: { forceFlush(): Promise<void>; shutdown(): Promise<void> };

  constructor(packages: SdkPackages, resource: unknown, options: ObservabilitySdkMetricsOptions, log: () => ExportLogger) {
    this.producer = new PrometheusRegistriesProducer((message) => log().warn(message));
    // The pull reader the module renders on /metrics (OpenTelemetry-API metrics beside the Registry's),
    // attached to the provider below so that the module finds it. It reads no producer: the Registry
    // is already on /metrics, so nothing shows twice.
    const pullReader = new ObservabilityMetricReader();
    const readers: unknown[] = [pullReader];

    if (pushWanted(options)) {
      const protocol = otlpProtocol('metrics', options.protocol);
      const { OTLPMetricExporter } = packages.require(otlpExporterPackage('metrics', protocol));
      this.destination = otlpDestination('metrics', protocol, options.url);
      const exporter = new OTLPMetricExporter({ ...(options.url ? { url: options.url } : {}), temporalityPreference: CUMULATIVE });
      const reporter = new ExportFailureReporter('metrics', this.destination.replace(/^.* at /, ''), log);
      const interval = options.exportIntervalMillis ?? (numberFromEnv('OTEL_METRIC_EXPORT_INTERVAL', 60_000) || 60_000);
      const timeout = Math.min(options.exportTimeoutMillis ?? (numberFromEnv('OTEL_METRIC_EXPORT_TIMEOUT', 30_000) || 30_000), interval);
      readers.push(
        new packages.metrics.PeriodicExportingMetricReader({
          exporter: countingMetricExporter(exporter, this.stats, reporter),
          exportIntervalMillis: interval,
          exportTimeoutMillis: timeout,
          metricProducers: [this.producer],
        }),
      );
    }
    const provider = pullReader.attachTo(new packages.metrics.MeterProvider({ resource, readers }));
    this.meterProvider = provider;
    metrics.setGlobalMeterProvider(provider);
  }

  /**
   * Adds a prom-client Registry to the push (no-op when metrics are not pushed); returns the function
   * that removes it.
   */
  addPrometheusRegistry(registry: Registry, startedAt?: number): () => void {
    return this.destination ? this.producer.add(registry, startedAt) : () => undefined;
  }

  /** Pushes now (the pull reader has nothing to flush). */
  forceFlush(): Promise<void> {
    return this.meterProvider.forceFlush();
  }

  /** Pushes a last time, then stops. */
  shutdown(): Promise<void> {
    return this.meterProvider.shutdown();
  }
}

function pushWanted(options: ObservabilitySdkMetricsOptions): boolean {
  if (options.exporter) return options.exporter === 'otlp';
  const names = listFromEnv('OTEL_METRICS_EXPORTER') ?? [];
  for (const name of names) {
    if (name !== 'otlp' && name !== 'none') {
      diag.warn(`OTEL_METRICS_EXPORTER="${name}" is not used by nestjs-observability: it pushes "otlp" and serves Prometheus on its own /metrics.`);
    }
  }
  return names.includes('otlp') && !names.includes('none');
}
