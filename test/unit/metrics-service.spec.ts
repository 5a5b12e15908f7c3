import { register } from 'prom-client';
import { ObservabilityConfigError } from '../../lib';
import { MetricsService } from '../../lib/metrics/metrics.service';
import { resolveObservabilityOptions } from '../../lib/observability-options.resolver';

function service(defaultMetrics = false): MetricsService {
  return new MetricsService(resolveObservabilityOptions({ metrics: { defaultMetrics, defaultLabels: { service: 'unit' } } }));
}

describe('MetricsService declarations', () => {
  it('returns the same metric for an identical declaration', () => {
    const metrics = service();
    const a = metrics.counter({ name: 'orders_total', help: 'Orders', labelNames: ['channel'] });
    const b = metrics.counter({ name: 'orders_total', help: 'Orders', labelNames: ['channel'] });
    expect(a).toBe(b);
    expect(metrics.registry.getSingleMetric('orders_total')).toBe(a);
  });

  it('fails when the same name comes with another type, naming both declarations', () => {
    const metrics = service();
    metrics.counter({ name: 'queue_depth', help: 'Depth' });
    expect(() => metrics.gauge({ name: 'queue_depth', help: 'Depth' })).toThrow(ObservabilityConfigError);
    expect(() => metrics.gauge({ name: 'queue_depth', help: 'Depth' })).toThrow(
      'Metric "queue_depth" is declared twice with different shapes: first as a Counter, a counter with labels []; now as a Gauge, a gauge with labels [].',
    );
  });

  it('fails when the same name comes with other label names', () => {
    const metrics = service();
    metrics.histogram({ name: 'latency_seconds', help: 'L', labelNames: ['route'] });
    expect(() => metrics.histogram({ name: 'latency_seconds', help: 'L', labelNames: ['route', 'method'] })).toThrow(
      'with labels [route]; now as a Histogram, a histogram with labels [method, route]',
    );
  });

  it('fails when two metrics would share one OpenMetrics family (a gauge "x" and a counter "x_total"), in either order', () => {
    const gaugeFirst = service();
    gaugeFirst.gauge({ name: 'jobs_abandoned', help: 'Running' });
    expect(() => gaugeFirst.counter({ name: 'jobs_abandoned_total', help: 'All' })).toThrow(
      'would both be the family "jobs_abandoned" in OpenMetrics',
    );
    const counterFirst = service();
    counterFirst.counter({ name: 'jobs_abandoned_total', help: 'All' });
    expect(() => counterFirst.gauge({ name: 'jobs_abandoned', help: 'Running' })).toThrow(ObservabilityConfigError);
    // The module's own metrics never do that.
    expect(() => counterFirst.gauge({ name: 'jobs_abandoned_running', help: 'Running' })).not.toThrow();
  });

  it('fails when a prom-client metric takes the name of an instrumented method metric', () => {
    const metrics = service();
    metrics.leanCounter('pay_total', 'Pay', ['class', 'method', 'result', 'exception'], '@Counted() on Pay.run');
    expect(() => metrics.counter({ name: 'pay_total', help: 'Pay', labelNames: ['class', 'method', 'result', 'exception'] })).toThrow(
      'Metric "pay_total" is declared both as @Counted() on Pay.run and as a Counter.',
    );
  });

  it('fails on a clash with a default process metric and suggests the prefix option', () => {
    const metrics = service(true);
    try {
      expect(() => metrics.gauge({ name: 'process_start_time_seconds', help: 'x' })).toThrow('Choose another name, or set "metrics.defaultMetrics.prefix"');
    } finally {
      metrics.onModuleDestroy();
    }
  });

  it('rejects invalid names and missing help', () => {
    const metrics = service();
    expect(() => metrics.counter({ name: 'orders-total', help: 'x' })).toThrow('Invalid metric name "orders-total" (declared as a Counter)');
    expect(() => metrics.counter({ name: 'orders_total', help: '' })).toThrow('Metric "orders_total" (declared as a Counter) needs a non-empty "help" text.');
  });

  it('renders default metrics with the default labels, and never touches the global register', async () => {
    const before = register.getMetricsAsArray().length;
    const metrics = service(true);
    try {
      const text = await metrics.render('prometheus');
      for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_gc_duration_seconds', 'nodejs_heap_size_used_bytes']) {
        expect(text).toContain(`# TYPE ${name} `);
      }
      expect(text).toMatch(/process_cpu_user_seconds_total\{service="unit"\} [\d.e-]+\n/);
      expect(register.getMetricsAsArray().length).toBe(before);
      // Gauges named *_total fail promtool's lint; the per-type gauge remains. Handles and requests
      // are read from the public getActiveResourcesInfo(), not from Node internals.
      expect(text).toMatch(/nodejs_active_resources\{type="[A-Za-z]+",service="unit"\} \d+/);
      expect(text).not.toContain('nodejs_active_resources_total');
      expect(text).not.toContain('nodejs_active_handles');
    } finally {
      metrics.onModuleDestroy();
    }
  });
});
