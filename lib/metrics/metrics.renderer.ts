import { Registry } from 'prom-client';
import { asPromClientHistogram, HistogramSeriesSource, leanHistogramSeries, promClientHistogramSeries } from './histogram-series';
import { LeanHistogram } from './lean-histogram.metric';
import { MetricCollectionError } from './metric-collection.error';
import { RenderSlicer } from './render-slicer';
import { asPromClientSampleMetric, collectFirst, PromClientSampleMetric } from './sample-map';

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
  /**
   * Largest share of the event loop's time that the render takes while it is under way, from more
   * than 0 to 1: after each slice of `w` ms it rests `w × (1 − dutyCycle) / dutyCycle` ms, so that a
   * scraper fetching back to back cannot take more than this share of the CPU from requests. 1 only
   * yields one turn of the loop between slices (the fastest render).
   * @default 1 (renderRegistry); the module's /metrics uses `metrics.renderDutyCycle`, 0.25 by default
   * @example 0.25
   */
  dutyCycle?: number;
}

/** A metric as the Registry holds it: prom-client's, or one of the module's lean metrics. */
interface RegisteredMetric {
  getForPromString?: () => Promise<MetricData> | MetricData;
  get: () => Promise<MetricData> | MetricData;
}

/** What to render for one metric family, once its `collect()` has run. */
type FamilySource =
  | { kind: 'samples'; data: MetricData }
  | { kind: 'sampleMap'; metric: PromClientSampleMetric }
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
  // Started before the collect() calls, so that their time counts in the first slice.
  const slicer = new RenderSlicer(options.sliceMs ?? DEFAULT_RENDER_SLICE_MS, options.dutyCycle ?? 1);
  await writeFamilies(slicer, registry, format, defaultLabels);
  if (format === 'openmetrics') slicer.push('# EOF\n');
  return slicer.text();
}

/**
 * `renderRegistry()` for the scrape endpoint: the text comes as UTF-8 pieces of about 64 KB, encoded
 * in the slices, with `trailer` (the OpenTelemetry metrics) before OpenMetrics' `# EOF`. Sending them
 * one by one, the endpoint never encodes or copies several megabytes in one step.
 */
export async function renderRegistryPieces(
  registry: Registry,
  format: ExpositionFormat,
  defaultLabels: Readonly<Record<string, string>>,
  options: RenderOptions,
  trailer: string,
): Promise<Buffer[]> {
  const slicer = new RenderSlicer(options.sliceMs ?? DEFAULT_RENDER_SLICE_MS, options.dutyCycle ?? 1, true);
  await writeFamilies(slicer, registry, format, defaultLabels);
  if (trailer) slicer.push(trailer);
  if (format === 'openmetrics') slicer.push('# EOF\n');
  return slicer.buffers();
}

async function writeFamilies(
  slicer: RenderSlicer,
  registry: Registry,
  format: ExpositionFormat,
  defaultLabels: Readonly<Record<string, string>>,
): Promise<void> {
  const metrics = registry.getMetricsAsArray() as unknown as RegisteredMetric[];
  const sources = await Promise.all(
    metrics.map((metric) =>
      prepareFamily(metric).catch((error: unknown) => {
        throw new MetricCollectionError(String((metric as { name?: unknown }).name), error);
      }),
    ),
  );
  const open = format === 'openmetrics';
  const defaults = Object.keys(defaultLabels).length > 0 ? defaultLabels : null;
  for (const source of sources) {
    if (source.kind === 'histogram') {
      slicer.push(familyHeader(source.name, source.help, 'histogram', open));
      await renderHistogramSeries(slicer, source.name, source.series, open, defaults);
    } else if (source.kind === 'sampleMap') {
      await renderSampleMap(slicer, source.metric, open, defaults);
    } else {
      await renderFamily(slicer, source.data, open, defaults);
    }
  }
}

/**
 * Runs the metric's `collect()` and returns what to render. Histograms, counters and gauges of
 * prom-client are read from their series directly at render time: `getForPromString()` builds 14
 * objects per histogram child up front, and `get()` copies a counter's 20,000 entries in one call
 * (~15 ms); neither can be sliced.
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
  const sampleMap = asPromClientSampleMetric(metric);
  if (sampleMap) return { kind: 'sampleMap', metric: await collectFirst(sampleMap) };
  const data = await (typeof metric.getForPromString === 'function' ? metric.getForPromString() : metric.get());
  return { kind: 'samples', data };
}

/** OpenMetrics names a counter family without `_total`, and every sample with it; Prometheus text keeps the name. */
function familyNames(metric: { name: string; type: string }, open: boolean): { family: string; sample: string } {
  if (!open || metric.type !== 'counter') return { family: metric.name, sample: metric.name };
  const family = stripTotal(metric.name);
  return { family, sample: `${family}_total` };
}

function familyHeader(name: string, help: string, type: string, open: boolean): string {
  return `# HELP ${name} ${escapeHelp(help, open)}\n# TYPE ${name} ${type}\n`;
}

async function renderFamily(
  out: RenderSlicer,
  metric: MetricData,
  open: boolean,
  defaults: Readonly<Record<string, string>> | null,
): Promise<void> {
  const { family, sample: sampleDefault } = familyNames(metric, open);
  out.push(familyHeader(family, metric.help, metric.type, open));
  for (const sample of metric.values ?? []) {
    out.push(sampleLine(sample.metricName ?? sampleDefault, sample, open, defaults), '\n');
    if (out.tick()) await out.pause();
  }
}

function sampleLine(name: string, sample: Sample, open: boolean, defaults: Readonly<Record<string, string>> | null): string {
  const line = name + formatLabels(sample.sharedLabels, sample.labels, defaults) + ' ' + formatValue(sample.value);
  return open && sample.exemplar ? line + formatExemplar(sample.exemplar) : line;
}

/**
 * Writes a prom-client Counter or Gauge from its `hashMap`, in the order of prom-client's
 * `Object.values(hashMap)`. Taking the keys is the one step that cannot be cut (~0.25 µs per key
 * here), so it starts a slice of its own; each entry is then read when its line is written, and an
 * entry removed meanwhile is skipped.
 */
async function renderSampleMap(
  out: RenderSlicer,
  metric: PromClientSampleMetric,
  open: boolean,
  defaults: Readonly<Record<string, string>> | null,
): Promise<void> {
  const { family, sample: name } = familyNames(metric, open);
  out.push(familyHeader(family, metric.help, metric.type, open));
  await out.beforeBulkStep();
  const map = metric.hashMap;
  const keys = Object.keys(map);
  for (let i = 0; i < keys.length; i++) {
    const entry = map[keys[i]];
    if (entry !== undefined) out.push(sampleLine(name, entry, open, defaults), '\n');
    if (out.tick()) await out.pause();
  }
}

/** Writes every child of a histogram: cumulative buckets, then `_sum` and `_count`. */
async function renderHistogramSeries(
  out: RenderSlicer,
  name: string,
  source: HistogramSeriesSource,
  open: boolean,
  defaults: Readonly<Record<string, string>> | null,
): Promise<void> {
  const { bounds } = source;
  const bucketName = `${name}_bucket`;
  // The `le` label of each bucket, rendered once per family rather than once per line.
  const le = [...bounds.map((b) => formatLabels(undefined, { le: b }, null).slice(1, -1)), 'le="+Inf"'];
  // A prom-client histogram takes its keys when the walk starts.
  await out.beforeBulkStep();
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
    if (out.tick()) await out.pause();
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
