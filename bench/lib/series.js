'use strict';
// A realistic metric population for scrape benchmarks: 40% counter lines, 10% gauge lines and 50%
// histogram lines (14 lines per child with prom-client's default buckets), with route-like labels.

const HISTOGRAM_LINES_PER_CHILD = 14;
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = ['200', '201', '204', '400', '404', '500'];

/**
 * Declares the three metrics through `declare` (the module's MetricsService, or a plain prom-client
 * Registry wrapper) and fills them to about `lines` sample lines.
 */
function populate(declare, lines) {
  const counter = declare.counter({ name: 'bench_requests_total', help: 'HTTP requests.', labelNames: ['method', 'route', 'status'] });
  const gauge = declare.gauge({ name: 'bench_queue_depth', help: 'Jobs waiting, by queue and shard.', labelNames: ['queue', 'shard'] });
  const histogram = declare.histogram({ name: 'bench_request_duration_seconds', help: 'HTTP request duration in seconds.', labelNames: ['method', 'route'] });
  const counterSeries = Math.round(lines * 0.4);
  const gaugeSeries = Math.round(lines * 0.1);
  const histogramChildren = Math.round((lines - counterSeries - gaugeSeries) / HISTOGRAM_LINES_PER_CHILD);
  for (let i = 0; i < counterSeries; i++) {
    counter.inc({ method: METHODS[i % 4], route: `/api/v1/resource${Math.floor(i / 24)}/:id`, status: STATUSES[Math.floor(i / 4) % 6] }, (i % 97) + 1);
  }
  for (let i = 0; i < gaugeSeries; i++) gauge.set({ queue: `queue_${Math.floor(i / 8)}`, shard: String(i % 8) }, (i * 7) % 1000);
  for (let i = 0; i < histogramChildren; i++) {
    const labels = { method: METHODS[i % 4], route: `/api/v1/resource${Math.floor(i / 4)}/:id` };
    for (let k = 0; k < 5; k++) histogram.observe(labels, ((i + k) % 50) / 17);
  }
}

/** How many sample lines (neither blank nor a # comment) an exposition text has. */
function sampleLines(text) {
  let n = 0;
  for (const line of text.split('\n')) if (line && line[0] !== '#') n++;
  return n;
}

module.exports = { populate, sampleLines };
