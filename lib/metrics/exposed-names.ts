/**
 * Every name a metric puts in an exposition, in the Prometheus text format or in OpenMetrics: its family names
 * and its sample names, as Prometheus' parsers derive them. Two metrics that share one of these names break the
 * scrape: a histogram `req` writes `req_count`, so a gauge `req_count` makes promtool (and Prometheus' parser)
 * reject the whole exposition; a counter `jobs` is written `jobs_total` in OpenMetrics, so a gauge `jobs_total`
 * is dropped by Prometheus. `_created` is reserved by OpenMetrics for counters, histograms and summaries.
 *
 * @example
 * exposedNames('histogram', 'req') // ['req', 'req_bucket', 'req_sum', 'req_count', 'req_created']
 */
export function exposedNames(type: string, name: string): string[] {
  switch (type) {
    case 'counter': {
      const family = name.endsWith('_total') ? name.slice(0, -6) : name;
      return [...new Set([name, family, `${family}_total`, `${family}_created`])];
    }
    case 'histogram':
      return [name, `${name}_bucket`, `${name}_sum`, `${name}_count`, `${name}_created`];
    case 'summary':
      return [name, `${name}_sum`, `${name}_count`, `${name}_created`];
    default:
      return [name];
  }
}
