/**
 * The OpenTelemetry "Prometheus and OpenMetrics compatibility" unit rules, which `PrometheusSerializer` (0.301)
 * does not apply itself: a UCUM unit becomes a name suffix (`s` → `_seconds`, `By` → `_bytes`,
 * `By/s` → `_bytes_per_second`, `1` on a gauge → `_ratio`), and annotations in braces (`{order}`) add nothing.
 */
const UNITS: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

const PER_UNITS: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

/**
 * The Prometheus unit word of an OpenTelemetry unit, or `''` when it adds no suffix.
 *
 * @example
 * prometheusUnit('s', false) // 'seconds'
 * prometheusUnit('{order}', false) // ''
 * prometheusUnit('1', true) // 'ratio'
 */
export function prometheusUnit(unit: string | undefined, isGauge: boolean): string {
  const bare = (unit ?? '').replace(/\{[^}]*\}/g, '').trim();
  if (bare === '') return '';
  if (bare === '1') return isGauge ? 'ratio' : '';
  const [main, per, ...rest] = bare.split('/');
  if (rest.length > 0) return '';
  const mainWord = main ? (UNITS[main] ?? sanitize(main)) : '';
  if (per === undefined) return mainWord;
  const perWord = PER_UNITS[per] ?? sanitize(per);
  if (!perWord) return mainWord;
  return mainWord ? `${mainWord}_per_${perWord}` : `per_${perWord}`;
}

/**
 * The OpenTelemetry metric name with its unit suffix appended (`http.server.duration` in `s` →
 * `http.server.duration_seconds`), unless the name already ends with it. The serializer then sanitizes it and
 * adds `_total` to monotonic sums.
 */
export function nameWithUnit(name: string, unitWord: string): string {
  if (!unitWord) return name;
  const normalized = name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/_{2,}/g, '_');
  const base = normalized.endsWith('_total') ? normalized.slice(0, -6) : normalized;
  if (base === unitWord || base.endsWith(`_${unitWord}`)) return name;
  return `${name}_${unitWord}`;
}

function sanitize(word: string): string {
  return word.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_+|_+$/g, '');
}
