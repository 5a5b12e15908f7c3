import type { HrTime } from '@opentelemetry/api';
import type { MetricData } from '@opentelemetry/sdk-metrics';

/** sdk-metrics' enum values, fixed by the OTLP data model (so sdk-metrics need not be loaded to name them). */
const DATA_POINT = { HISTOGRAM: 0, GAUGE: 2, SUM: 3 } as const;
const CUMULATIVE = 1;
const DOUBLE = 1;

/** One metric as prom-client's `registry.getMetricsAsJSON()` gives it (default labels applied). */
export interface PrometheusMetricJson {
  name: string;
  help: string;
  type: string;
  values?: Array<{ labels?: Record<string, string | number>; value: number; metricName?: string }>;
}

/** When each metric's series started counting: a start time for cumulative points. */
export type StartTimeOf = (metricName: string) => HrTime;

/**
 * Turns a Registry's metrics into OpenTelemetry `MetricData`, cumulative, with the values `/metrics`
 * shows: a counter becomes a monotonic sum (named without `_total`, which the Prometheus translation
 * adds back, unless another metric has the bare name), a gauge a gauge, a histogram a histogram with the same bounds, per-bucket counts, sum
 * and count. Units follow the name's suffix (`_seconds` → `s`, `_bytes` → `By`).
 * Summaries have no OTLP form in the JS SDK: they are left out (and named in `skipped`).
 */
export function toMetricData(metrics: PrometheusMetricJson[], startTimeOf: StartTimeOf, endTime: HrTime): { data: MetricData[]; skipped: string[] } {
  const data: MetricData[] = [];
  const skipped: string[] = [];
  // A counter keeps its `_total` when the bare name is another metric's (a gauge `x` beside a counter `x_total`).
  const taken = new Set(metrics.map((m) => m.name));
  for (const metric of metrics) {
    const values = metric.values ?? [];
    const startTime = startTimeOf(metric.name);
    switch (metric.type) {
      case 'counter':
        data.push({
          descriptor: descriptor(taken.has(stripTotal(metric.name)) && stripTotal(metric.name) !== metric.name ? metric.name : stripTotal(metric.name), metric),
          aggregationTemporality: CUMULATIVE,
          dataPointType: DATA_POINT.SUM,
          isMonotonic: true,
          dataPoints: values.map((v) => ({ startTime, endTime, attributes: attributes(v.labels), value: v.value })),
        } as MetricData);
        break;
      case 'gauge':
        data.push({
          descriptor: descriptor(metric.name, metric),
          aggregationTemporality: CUMULATIVE,
          dataPointType: DATA_POINT.GAUGE,
          dataPoints: values.map((v) => ({ startTime, endTime, attributes: attributes(v.labels), value: v.value })),
        } as MetricData);
        break;
      case 'histogram':
        data.push({
          descriptor: descriptor(metric.name, metric),
          aggregationTemporality: CUMULATIVE,
          dataPointType: DATA_POINT.HISTOGRAM,
          dataPoints: histogramPoints(metric, startTime, endTime),
        } as MetricData);
        break;
      default:
        skipped.push(metric.name);
    }
  }
  return { data, skipped };
}

interface HistogramAccumulator {
  attributes: Record<string, string>;
  bounds: number[];
  cumulative: number[];
  inf: number;
  sum: number;
  count: number;
}

/** Groups `_bucket` / `_sum` / `_count` samples by series; cumulative bucket values become per-bucket counts. */
function histogramPoints(metric: PrometheusMetricJson, startTime: HrTime, endTime: HrTime) {
  const series = new Map<string, HistogramAccumulator>();
  const bucketName = `${metric.name}_bucket`;
  const sumName = `${metric.name}_sum`;
  for (const sample of metric.values ?? []) {
    const { le, ...labels } = sample.labels ?? {};
    const attrs = attributes(labels);
    const key = JSON.stringify(Object.entries(attrs).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let s = series.get(key);
    if (!s) series.set(key, (s = { attributes: attrs, bounds: [], cumulative: [], inf: 0, sum: 0, count: 0 }));
    if (sample.metricName === bucketName) {
      if (le === '+Inf' || le === Infinity) s.inf = sample.value;
      else {
        s.bounds.push(Number(le));
        s.cumulative.push(sample.value);
      }
    } else if (sample.metricName === sumName) s.sum = sample.value;
    else s.count = sample.value;
  }
  return [...series.values()].map((s) => {
    const counts = s.cumulative.map((c, i) => c - (i ? s.cumulative[i - 1] : 0));
    counts.push(s.inf - (s.cumulative.length ? s.cumulative[s.cumulative.length - 1] : 0));
    return { startTime, endTime, attributes: s.attributes, value: { buckets: { boundaries: s.bounds, counts }, sum: s.sum, count: s.count } };
  });
}

function descriptor(name: string, metric: PrometheusMetricJson) {
  return { name, description: metric.help, unit: unitOf(metric.name), valueType: DOUBLE };
}

function attributes(labels: Record<string, string | number> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in labels) out[key] = String(labels[key]);
  return out;
}

function unitOf(name: string): string {
  const base = stripTotal(name);
  if (base.endsWith('_seconds')) return 's';
  if (base.endsWith('_bytes')) return 'By';
  return '';
}

function stripTotal(name: string): string {
  return name.endsWith('_total') ? name.slice(0, -6) : name;
}
