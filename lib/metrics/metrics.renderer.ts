import { Registry } from 'prom-client';

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

/**
 * Renders a prom-client Registry in either format without touching the Registry's own state.
 * prom-client's `registry.metrics()` renders one format per Registry, and renaming counters for
 * OpenMetrics mutates them, so one Registry cannot serve both; this renderer can.
 * Exemplars are written in OpenMetrics only, as the Prometheus text format has no place for them.
 */
export async function renderRegistry(
  registry: Registry,
  format: ExpositionFormat,
  defaultLabels: Readonly<Record<string, string>> = {},
): Promise<string> {
  const metrics = registry.getMetricsAsArray() as unknown as Array<{
    getForPromString?: () => Promise<MetricData> | MetricData;
    get: () => Promise<MetricData> | MetricData;
  }>;
  const data = await Promise.all(
    metrics.map((m) => (typeof m.getForPromString === 'function' ? m.getForPromString() : m.get())),
  );
  const open = format === 'openmetrics';
  const defaults = Object.keys(defaultLabels).length > 0 ? defaultLabels : null;
  const out: string[] = [];
  for (const metric of data) {
    renderFamily(out, metric, open, defaults);
  }
  if (open) out.push('# EOF\n');
  return out.join('');
}

function renderFamily(out: string[], metric: MetricData, open: boolean, defaults: Readonly<Record<string, string>> | null): void {
  const isCounter = metric.type === 'counter';
  // OpenMetrics names the counter family without `_total`, and every sample with it.
  const family = open && isCounter ? stripTotal(metric.name) : metric.name;
  const sampleDefault = open && isCounter ? `${family}_total` : metric.name;
  out.push(`# HELP ${family} ${escapeHelp(metric.help, open)}\n# TYPE ${family} ${metric.type}\n`);
  for (const sample of metric.values ?? []) {
    let line = (sample.metricName ?? sampleDefault) + formatLabels(sample.sharedLabels, sample.labels, defaults) + ' ' + formatValue(sample.value);
    if (open && sample.exemplar) {
      const ex = sample.exemplar;
      line += ` # ${formatLabels(undefined, ex.labelSet, null) || '{}'} ${formatValue(ex.value)} ${ex.timestamp}`;
    }
    out.push(line, '\n');
  }
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
