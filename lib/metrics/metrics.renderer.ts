import { Registry } from 'prom-client';
import { asPromClientHistogram, HistogramSeriesSource, leanHistogramSeries, promClientHistogramSeries } from './histogram-series';
import { LeanHistogram } from './lean-histogram.metric';
import { RenderSlicer } from './render-slicer';

/** The two exposition formats the metrics endpoint negotiates. */
export type ExpositionFormat = 'prometheus' | 'openmetrics';

/** Content types of the two exposition formats. */
export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = Object.freeze({
  prometheus: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
});

interface Sample {
  labels?: Record<string, string | number>;
  sharedLabels?: Record<string, string | number>;
  value: number;
  metricName?: string;
  exemplar?: { labelSet: Record<string, string | number>; value: number; timestamp: number } | null;
}

interface MetricData {
  name: string;
  help: string;
  type: string;
  values?: Sample[];
}

/** How long one slice of rendering may hold the event loop, by default. */
export const DEFAULT_RENDER_SLICE_MS = 4;

/** Options of `renderRegistry()`. */
export interface RenderOptions {
  /**
   * Longest stretch, in milliseconds, that rendering holds the event loop before it yields to
   * other work (requests); 0 renders in one go.
   * @default 4
   */
  sliceMs?: number;
}

/** A metric as the Registry holds it: prom-client's, or one of the module's lean metrics. */
interface RegisteredMetric {
  getForPromString?: () => Promise<MetricData> | MetricData;
  get: () => Promise<MetricData> | MetricData;
}

/** What to render for one metric family, once its `collect()` has run. */
type FamilySource =
  | { kind: 'samples'; data: MetricData }
  | { kind: 'histogram'; name: string; help: string; series: HistogramSeriesSource };

/**
 * Renders a prom-client Registry in either format without touching the Registry's own state.
 * prom-client's `registry.metrics()` renders one format per Registry, and renaming counters for
 * OpenMetrics mutates them, so one Registry cannot serve both; this renderer can.
 * Exemplars are written in OpenMetrics only, as the Prometheus text format has no place for them.
 *
 * Every metric's `collect()` runs first, all at once, as in prom-client. Then the lines are
 * written in slices of at most `sliceMs`, yielding to the event loop between slices: a scrape of
 * 50,000 series does not stall the requests that arrive meanwhile. Each series (a counter's value,
 * all the buckets, sum and count of one histogram child) is read in one go, so it is consistent
 * in itself; different series may be read a few milliseconds apart.
 *
 * @example
 * const text = await renderRegistry(registry, negotiateFormat(req.headers.accept), { service: 'orders' });
 */
export async function renderRegistry(
  registry: Registry,
  format: ExpositionFormat,
  defaultLabels: Readonly<Record<string, string>> = {},
  options: RenderOptions = {},
): Promise<string> {
  const metrics = registry.getMetricsAsArray() as unknown as RegisteredMetric[];
  const sources = await Promise.all(metrics.map(prepareFamily));
  const open = format === 'openmetrics';
  const defaults = Object.keys(defaultLabels).length > 0 ? defaultLabels : null;
  const slicer = new RenderSlicer(options.sliceMs ?? DEFAULT_RENDER_SLICE_MS);
  // Joined per family, so that the final join has few, large pieces.
  const families: string[] = [];
  for (const source of sources) {
    const out: string[] = [];
    if (source.kind === 'histogram') {
      out.push(familyHeader(source.name, source.help, 'histogram', open));
      await renderHistogramSeries(out, source.name, source.series, open, defaults, slicer);
    } else {
      await renderFamily(out, source.data, open, defaults, slicer);
    }
    families.push(out.join(''));
  }
  if (open) families.push('# EOF\n');
  return families.join('');
}

/**
 * Runs the metric's `collect()` and returns what to render. Histograms are read from their
 * series directly at render time: prom-client's `getForPromString()` builds 14 objects per
 * child up front, which is most of a large scrape's time and cannot be sliced.
 */
async function prepareFamily(metric: RegisteredMetric): Promise<FamilySource> {
  if (metric instanceof LeanHistogram) {
    return { kind: 'histogram', name: metric.name, help: metric.help, series: leanHistogramSeries(metric) };
  }
  const promHistogram = asPromClientHistogram(metric);
  if (promHistogram) {
    if (typeof promHistogram.collect === 'function') {
      const pending = promHistogram.collect();
      if (pending instanceof Promise) await pending;
    }
    return { kind: 'histogram', name: promHistogram.name, help: promHistogram.help, series: promClientHistogramSeries(promHistogram) };
  }
  const data = await (typeof metric.getForPromString === 'function' ? metric.getForPromString() : metric.get());
  return { kind: 'samples', data };
}

function familyHeader(name: string, help: string, type: string, open: boolean): string {
  return `# HELP ${name} ${escapeHelp(help, open)}\n# TYPE ${name} ${type}\n`;
}

async function renderFamily(
  out: string[],
  metric: MetricData,
  open: boolean,
  defaults: Readonly<Record<string, string>> | null,
  slicer: RenderSlicer,
): Promise<void> {
  const isCounter = metric.type === 'counter';
  // OpenMetrics names the counter family without `_total`, and every sample with it.
  const family = open && isCounter ? stripTotal(metric.name) : metric.name;
  const sampleDefault = open && isCounter ? `${family}_total` : metric.name;
  out.push(familyHeader(family, metric.help, metric.type, open));
  for (const sample of metric.values ?? []) {
    let line = (sample.metricName ?? sampleDefault) + formatLabels(sample.sharedLabels, sample.labels, defaults) + ' ' + formatValue(sample.value);
    if (open && sample.exemplar) line += formatExemplar(sample.exemplar);
    out.push(line, '\n');
    if (slicer.tick()) await slicer.pause();
  }
}

/** Writes every child of a histogram: cumulative buckets, then `_sum` and `_count`. */
async function renderHistogramSeries(
  out: string[],
  name: string,
  source: HistogramSeriesSource,
  open: boolean,
  defaults: Readonly<Record<string, string>> | null,
  slicer: RenderSlicer,
): Promise<void> {
  const { bounds } = source;
  const bucketName = `${name}_bucket`;
  // The `le` label of each bucket, rendered once per family rather than once per line.
  const le = [...bounds.map((b) => formatLabels(undefined, { le: b }, null).slice(1, -1)), 'le="+Inf"'];
  for (const series of source.series) {
    const labels = formatLabels(series.labels, undefined, defaults);
    const prefix = labels ? `${bucketName}{${labels.slice(1, -1)},` : `${bucketName}{`;
    let acc = 0;
    for (let i = 0; i <= bounds.length; i++) {
      acc += series.bucketCount(i);
      let line = prefix + le[i] + '} ' + formatValue(i === bounds.length ? series.count : acc);
      const exemplar = open ? series.bucketExemplar(i) : null;
      if (exemplar) line += formatExemplar(exemplar);
      out.push(line, '\n');
    }
    out.push(`${name}_sum${labels} ${formatValue(series.sum)}\n${name}_count${labels} ${formatValue(series.count)}\n`);
    if (slicer.tick()) await slicer.pause();
  }
}

function formatExemplar(ex: NonNullable<Sample['exemplar']>): string {
  return ` # ${formatLabels(undefined, ex.labelSet, null) || '{}'} ${formatValue(ex.value)} ${ex.timestamp}`;
}

function formatLabels(
  shared: Record<string, string | number> | undefined,
  own: Record<string, string | number> | undefined,
  defaults: Readonly<Record<string, string>> | null,
): string {
  let body = '';
  if (shared) {
    for (const key in shared) body += (body ? ',' : '') + key + '="' + escapeLabel(String(shared[key])) + '"';
  }
  if (own) {
    for (const key in own) {
      if (shared && key in shared) continue;
      body += (body ? ',' : '') + key + '="' + escapeLabel(String(own[key])) + '"';
    }
  }
  if (defaults) {
    for (const key in defaults) {
      if ((shared && key in shared) || (own && key in own)) continue;
      body += (body ? ',' : '') + key + '="' + escapeLabel(defaults[key]) + '"';
    }
  }
  return body ? `{${body}}` : '';
}

const LABEL_ESCAPE = /[\\"\n]/;
function escapeLabel(value: string): string {
  return LABEL_ESCAPE.test(value) ? value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"') : value;
}

function escapeHelp(help: string, open: boolean): string {
  const escaped = help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
  return open ? escaped.replace(/"/g, '\\"') : escaped;
}

function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return 'NaN';
}

function stripTotal(name: string): string {
  return name.endsWith('_total') ? name.slice(0, -6) : name;
}

/**
 * Picks the format an `Accept` header asks for: OpenMetrics when it lists
 * `application/openmetrics-text` with a non-zero quality, the Prometheus text format otherwise.
 */
export function negotiateFormat(accept: string | string[] | undefined): ExpositionFormat {
  const header = Array.isArray(accept) ? accept.join(',') : accept;
  if (!header || !header.includes('application/openmetrics-text')) return 'prometheus';
  for (const part of header.split(',')) {
    const [type, ...params] = part.trim().split(';');
    if (type.trim().toLowerCase() !== 'application/openmetrics-text') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (!q || Number(q.slice(2)) > 0) return 'openmetrics';
  }
  return 'prometheus';
}
