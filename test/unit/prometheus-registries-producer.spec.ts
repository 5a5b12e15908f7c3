import { Counter, Histogram, Registry } from 'prom-client';
import { PrometheusRegistriesProducer } from '../../lib/metrics/otlp-push/prometheus-registries.producer';

describe('PrometheusRegistriesProducer', () => {
  const points = async (producer: PrometheusRegistriesProducer, name: string) => {
    const { resourceMetrics } = await producer.collect();
    return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name)!.dataPoints as Array<{ startTime: [number, number]; value: unknown }>;
  };

  it('keeps start times from push to push, and starts them again after a reset', async () => {
    const registry = new Registry();
    const jobs = new Counter({ name: 'jobs_total', help: 'Jobs', registers: [registry] });
    const took = new Histogram({ name: 'job_seconds', help: 'Job time', buckets: [0.1, 1], registers: [registry] });
    const producer = new PrometheusRegistriesProducer(() => undefined);
    producer.add(registry, Date.UTC(2026, 0, 1));
    jobs.inc(5);
    took.observe(0.5);
    took.observe(0.05);
    const [first] = await points(producer, 'jobs');
    expect(first).toMatchObject({ startTime: [Date.UTC(2026, 0, 1) / 1000, 0], value: 5 });
    jobs.inc();
    expect(await points(producer, 'jobs')).toEqual([expect.objectContaining({ startTime: first.startTime, value: 6 })]);
    registry.resetMetrics();
    jobs.inc(2);
    took.observe(2);
    const [afterReset] = await points(producer, 'jobs');
    expect(afterReset.value).toBe(2);
    expect(afterReset.startTime[0]).toBeGreaterThan(first.startTime[0]);
    const [histogram] = await points(producer, 'job_seconds');
    expect(histogram.startTime[0]).toBeGreaterThan(first.startTime[0]);
    expect(histogram.value).toMatchObject({ count: 1, sum: 2, buckets: { boundaries: [0.1, 1], counts: [0, 0, 1] } });
  });

  it('reads a removed Registry once more, then forgets it', async () => {
    const registry = new Registry();
    new Counter({ name: 'jobs_total', help: 'Jobs', registers: [registry] }).inc();
    const producer = new PrometheusRegistriesProducer(() => undefined);
    const remove = producer.add(registry);
    remove();
    expect((await producer.collect()).resourceMetrics.scopeMetrics).toHaveLength(1);
    expect((await producer.collect()).resourceMetrics.scopeMetrics).toHaveLength(0);
  });
});
