import type { PushMetricExporter, ResourceMetrics } from '@opentelemetry/sdk-metrics';
import type { ExportFailureReporter } from '../../tracing/sdk/export-failure.reporter';
import { MetricExportStats } from './metric-export.stats';

const SUCCESS = 0;

/** Wraps a push exporter so that every export's outcome is counted, and failures and recovery are logged. */
export function countingMetricExporter(exporter: PushMetricExporter, stats: MetricExportStats, reporter: ExportFailureReporter): PushMetricExporter {
  const wrapped: PushMetricExporter = {
    export(metrics: ResourceMetrics, resultCallback) {
      const points = countPoints(metrics);
      let reported = false;
      exporter.export(metrics, (result) => {
        if (reported) return;
        reported = true;
        if (result.code === SUCCESS) {
          stats.exported += points;
          reporter.success();
        } else {
          stats.failed += points;
          stats.failedExports++;
          reporter.failure(result.error, points);
        }
        resultCallback(result);
      });
    },
    forceFlush: () => exporter.forceFlush(),
    shutdown: () => exporter.shutdown(),
  };
  // The reader asks the exporter for temporality and aggregation: forward them.
  if (exporter.selectAggregationTemporality) wrapped.selectAggregationTemporality = exporter.selectAggregationTemporality.bind(exporter);
  if (exporter.selectAggregation) wrapped.selectAggregation = exporter.selectAggregation.bind(exporter);
  return wrapped;
}

function countPoints(metrics: ResourceMetrics): number {
  let n = 0;
  for (const scope of metrics.scopeMetrics) for (const metric of scope.metrics) n += metric.dataPoints.length;
  return n;
}
