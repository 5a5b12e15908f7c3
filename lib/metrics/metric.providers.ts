import { FactoryProvider, Inject } from '@nestjs/common';
import type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration, SummaryConfiguration } from 'prom-client';
import { METRIC_TOKEN_PREFIX } from '../observability.constants';
import { MetricsService } from './metrics.service';

type WithoutRegisters<T> = Omit<T, 'registers'>;

/**
 * The injection token of a metric declared with `makeCounterProvider()` and friends.
 *
 * @example
 * getMetricToken('orders_created_total') // 'nestjs-observability:metric:orders_created_total'
 */
export function getMetricToken(name: string): string {
  return `${METRIC_TOKEN_PREFIX}${name}`;
}

/**
 * Injects a metric declared with `makeCounterProvider()`, `makeGaugeProvider()`,
 * `makeHistogramProvider()` or `makeSummaryProvider()` in any module.
 *
 * @example
 * constructor(@InjectMetric('orders_created_total') private readonly created: Counter<'channel'>) {}
 */
export function InjectMetric(name: string): PropertyDecorator & ParameterDecorator {
  return Inject(getMetricToken(name));
}

/**
 * Declares a prom-client Counter in the module's Registry, injectable with `@InjectMetric(name)`.
 * Declaring the same name again with the same label names is harmless; another shape fails at boot.
 *
 * @example
 * providers: [makeCounterProvider({ name: 'orders_created_total', help: 'Orders created', labelNames: ['channel'] })]
 */
export function makeCounterProvider<T extends string = string>(config: WithoutRegisters<CounterConfiguration<T>>): FactoryProvider {
  return { provide: getMetricToken(config.name), inject: [MetricsService], useFactory: (m: MetricsService) => m.counter(config) };
}

/**
 * Declares a prom-client Gauge in the module's Registry, injectable with `@InjectMetric(name)`.
 *
 * @example
 * providers: [makeGaugeProvider({ name: 'queue_depth', help: 'Jobs waiting', labelNames: ['queue'] })]
 */
export function makeGaugeProvider<T extends string = string>(config: WithoutRegisters<GaugeConfiguration<T>>): FactoryProvider {
  return { provide: getMetricToken(config.name), inject: [MetricsService], useFactory: (m: MetricsService) => m.gauge(config) };
}

/**
 * Declares a prom-client Histogram in the module's Registry, injectable with `@InjectMetric(name)`.
 *
 * @example
 * providers: [makeHistogramProvider({ name: 'payload_bytes', help: 'Payload size', buckets: [100, 1000, 10000] })]
 */
export function makeHistogramProvider<T extends string = string>(config: WithoutRegisters<HistogramConfiguration<T>>): FactoryProvider {
  return { provide: getMetricToken(config.name), inject: [MetricsService], useFactory: (m: MetricsService) => m.histogram(config) };
}

/**
 * Declares a prom-client Summary in the module's Registry, injectable with `@InjectMetric(name)`.
 *
 * @example
 * providers: [makeSummaryProvider({ name: 'batch_seconds', help: 'Batch duration', percentiles: [0.5, 0.99] })]
 */
export function makeSummaryProvider<T extends string = string>(config: WithoutRegisters<SummaryConfiguration<T>>): FactoryProvider {
  return { provide: getMetricToken(config.name), inject: [MetricsService], useFactory: (m: MetricsService) => m.summary(config) };
}
