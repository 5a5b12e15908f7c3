import { DynamicModule, Module, OnModuleDestroy } from '@nestjs/common';
import { context, propagation } from '@opentelemetry/api';
import { createRequire } from 'node:module';
import { ObservabilityModule } from '../observability.module';
import { ObservabilityModuleOptions } from '../observability-options.interface';
import { TestSpans } from './test-spans';
import { resolvePeer } from '../peer-dependencies.check';

/**
 * `ObservabilityModule` for tests: spans go to an in-memory exporter of this module instance (read them
 * through `TestSpans`), and the Registry is the module's own, as always. Default process metrics are off
 * unless the options turn them on. It registers the AsyncLocalStorage context manager and the W3C
 * propagators only if the process has none yet.
 *
 * @example
 * const moduleRef = await Test.createTestingModule({
 *   imports: [ObservabilityTestingModule.forRoot(), OrdersModule],
 * }).compile();
 * const spans = moduleRef.get(TestSpans);
 */
@Module({})
export class ObservabilityTestingModule implements OnModuleDestroy {
  constructor(private readonly spans: TestSpans) {}

  /** Creates the module; `options` are `ObservabilityModule`'s, less `tracing.tracerProvider`. */
  static forRoot(options: ObservabilityModuleOptions = {}): DynamicModule {
    const sdkRequire = createRequire(resolvePeer('@opentelemetry/sdk-node'));
    const traceSdk = sdkRequire('@opentelemetry/sdk-trace');
    const { AsyncLocalStorageContextManager } = sdkRequire('@opentelemetry/context-async-hooks');
    const core = sdkRequire('@opentelemetry/core');

    const manager = new AsyncLocalStorageContextManager();
    if (!context.setGlobalContextManager(manager.enable())) manager.disable();
    // The API's default propagator has no fields; any other one was registered by someone.
    if (propagation.fields().length === 0) {
      propagation.setGlobalPropagator(
        new core.CompositePropagator({ propagators: [new core.W3CTraceContextPropagator(), new core.W3CBaggagePropagator()] }),
      );
    }
    const exporter = new traceSdk.InMemorySpanExporter();
    const provider = new traceSdk.TracerProvider({ spanProcessors: [new traceSdk.SimpleSpanProcessor({ exporter })] });
    const metrics = options.metrics === false ? false : { defaultMetrics: false, ...options.metrics };
    const tracing = options.tracing === false ? false : { ...options.tracing, tracerProvider: provider };
    return {
      module: ObservabilityTestingModule,
      global: true,
      imports: [ObservabilityModule.forRoot({ ...options, metrics, tracing })],
      providers: [{ provide: TestSpans, useValue: new TestSpans(exporter, provider) }],
      exports: [TestSpans],
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.spans.provider.shutdown();
  }
}
