/**
 * A real OpenTelemetry `MeterProvider` (sdk-metrics) for tests, registered as the global one with an
 * `ObservabilityMetricReader` attached, as the module's SDK bootstrap does. Always `stop()` it: it unregisters
 * the global provider and shuts the provider down.
 */
import { metrics } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { ObservabilityMetricReader } from '../../lib';

export interface TestMeterProvider {
  reader: ObservabilityMetricReader;
  provider: MeterProvider;
  stop(): Promise<void>;
}

export function startTestMeterProvider(serviceName = 'shop-test', global = true): TestMeterProvider {
  const reader = new ObservabilityMetricReader();
  const provider = reader.attachTo(new MeterProvider({ resource: resourceFromAttributes({ 'service.name': serviceName }), readers: [reader] }));
  if (global && !metrics.setGlobalMeterProvider(provider)) throw new Error('a global MeterProvider is already registered');
  return {
    reader,
    provider,
    stop: async () => {
      if (global) metrics.disable();
      await provider.shutdown();
    },
  };
}
