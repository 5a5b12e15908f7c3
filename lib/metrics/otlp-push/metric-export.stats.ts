/**
 * What happened to the pushed metric points of one SDK: counted by the OTLP push reader's exporter and
 * exposed by the module as metrics, so that a dead Collector's losses are visible.
 */
export class MetricExportStats {
  /** Metric data points the exporter delivered. */
  exported = 0;
  /** Metric data points whose export failed (refused, timed out, rejected). */
  failed = 0;
  /** Export requests that failed. */
  failedExports = 0;
}
