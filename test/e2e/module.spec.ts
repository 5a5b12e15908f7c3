import { Controller, Get, Injectable, INestApplication, Module, Scope } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import * as perfHooks from 'node:perf_hooks';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { OpenTelemetryModule } from 'nestjs-otel';
import { register } from 'prom-client';
import request from 'supertest';
import {
  Counted,
  makeCounterProvider,
  MetricsService,
  OBSERVABILITY_REGISTRY,
  ObservabilityConfigError,
  ObservabilityModule,
  ObservabilityModuleOptions,
} from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';
import { OrdersModule } from '../fixtures/orders.app';

@Injectable()
class ConfigService {
  readonly metricsPath = '/from-config';
}

@Module({ providers: [ConfigService], exports: [ConfigService] })
class ConfigModule {}

@Injectable()
class OptionsFactory {
  createObservabilityOptions(): ObservabilityModuleOptions {
    return { metrics: { path: '/from-class', defaultMetrics: false } };
  }
}

@Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
class OptionsModule {}

@Injectable({ scope: Scope.REQUEST })
class PerRequest {
  @Counted()
  run(): number {
    return 1;
  }
}

@Controller('scoped')
class ScopedController {
  constructor(private readonly perRequest: PerRequest) {}
  @Get()
  get(): number {
    return this.perRequest.run();
  }
}

describe.each(PLATFORMS)('ObservabilityModule on %s', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('forRootAsync with useFactory and inject', async () => {
    app = await createTestApp(platform, {
      imports: [
        ObservabilityModule.forRootAsync({
          imports: [ConfigModule],
          inject: [ConfigService],
          useFactory: (config: ConfigService) => ({ metrics: { path: config.metricsPath, defaultMetrics: false } }),
        }),
        OrdersModule,
      ],
    });
    await request(app.getHttpServer()).get('/orders/1').expect(200);
    const res = await request(app.getHttpServer()).get('/from-config').expect(200);
    expect(sampleValue(res.text, 'orders_controller_find_total', { result: 'success' })).toBe(1);
    // The custom path is excluded from HTTP metrics by default.
    await request(app.getHttpServer()).get('/from-config').expect(200);
    expect((await request(app.getHttpServer()).get('/from-config')).text).not.toContain('http_route="/from-config"');
  });

  it('forRootAsync with useClass and with useExisting', async () => {
    app = await createTestApp(platform, { imports: [ObservabilityModule.forRootAsync({ useClass: OptionsFactory })] });
    await request(app.getHttpServer()).get('/from-class').expect(200);
    await app.close();
    app = await createTestApp(platform, {
      imports: [ObservabilityModule.forRootAsync({ imports: [OptionsModule], useExisting: OptionsFactory })],
    });
    await request(app.getHttpServer()).get('/from-class').expect(200);
  });

  it('switches metrics off: no endpoint, no HTTP metrics, and decorated methods still run', async () => {
    app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot({ metrics: false }), OrdersModule] });
    await request(app.getHttpServer()).get('/orders/1').expect(200, { id: '1' });
    await request(app.getHttpServer()).get('/metrics').expect(404);
    await app.close();
    app = await createTestApp(platform, {
      imports: [ObservabilityModule.forRootAsync({ useFactory: () => ({ metrics: false as const }) }), OrdersModule],
    });
    await request(app.getHttpServer()).get('/orders/1').expect(200, { id: '1' });
    await request(app.getHttpServer()).get('/metrics').expect(404);
  });

  it('runs beside an app-level PrometheusModule and OpenTelemetryModule without clashes', async () => {
    app = await createTestApp(platform, {
      imports: [
        PrometheusModule.register({ path: '/prom', defaultMetrics: { enabled: true } }),
        OpenTelemetryModule.forRoot(),
        ObservabilityModule.forRoot(),
        OrdersModule,
      ],
    });
    await request(app.getHttpServer()).get('/orders/1').expect(200);
    const ours = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
    const theirs = (await request(app.getHttpServer()).get('/prom').expect(200)).text;
    expect(ours).toContain('orders_controller_find_total');
    expect(theirs).toContain('process_cpu_user_seconds_total');
    expect(theirs).not.toContain('orders_controller_find_total');
    register.clear();
  });

  it('warns instead of silently skipping a request-scoped provider', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false } })],
      controllers: [ScopedController],
      providers: [PerRequest],
    }).compile();
    const warnings: string[] = [];
    moduleRef.useLogger({ log() {}, error() {}, warn: (m: string) => warnings.push(m), debug() {}, verbose() {} });
    app = moduleRef.createNestApplication();
    await app.init();
    expect(warnings).toContainEqual(expect.stringContaining('PerRequest.run is request-scoped or transient'));
    await request(app.getHttpServer()).get('/scoped').expect(200);
  });
});

describe('boot-time errors', () => {
  it('fails the boot on a bad option, naming it', async () => {
    await expect(createTestApp('express', { imports: [ObservabilityModule.forRoot({ metrics: { path: 'metrics' } })] })).rejects.toThrow(
      'Invalid option "metrics.path": expected a string that starts with "/"',
    );
    await expect(
      createTestApp('express', { imports: [ObservabilityModule.forRootAsync({ useFactory: () => ({ metrics: { http: { buckets: [2, 1] } } }) })] }),
    ).rejects.toThrow(ObservabilityConfigError);
  });

  it('fails the boot when a custom metric clashes with a @Counted() metric', async () => {
    @Injectable()
    class Payments {
      @Counted('payments')
      pay(): void {}
    }
    @Module({ providers: [Payments, makeCounterProvider({ name: 'payments_total', help: 'Payments', labelNames: ['provider'] })] })
    class PaymentsModule {}
    await expect(createTestApp('express', { imports: [ObservabilityModule.forRoot(), PaymentsModule] })).rejects.toThrow(
      /Metric "payments_total" is declared twice with different shapes: first as a Counter, a counter with labels \[provider\]; now as @Counted\(\) on Payments.pay/,
    );
  });
});

describe('isolation', () => {
  it('gives two apps in one process their own Registries', async () => {
    const a = await createTestApp('express', { imports: [ObservabilityModule.forRoot({ metrics: { defaultLabels: { app: 'a' } } }), OrdersModule] });
    const b = await createTestApp('fastify', { imports: [ObservabilityModule.forRoot({ metrics: { defaultLabels: { app: 'b' } } }), OrdersModule] });
    try {
      expect(a.get(OBSERVABILITY_REGISTRY)).not.toBe(b.get(OBSERVABILITY_REGISTRY));
      await request(a.getHttpServer()).get('/orders/1').expect(200);
      await request(a.getHttpServer()).get('/orders/2').expect(200);
      await request(b.getHttpServer()).get('/orders/1').expect(200);
      const textA = (await request(a.getHttpServer()).get('/metrics')).text;
      const textB = (await request(b.getHttpServer()).get('/metrics')).text;
      expect(sampleValue(textA, 'orders_controller_find_total', { result: 'success', app: 'a' })).toBe(2);
      expect(sampleValue(textB, 'orders_controller_find_total', { result: 'success', app: 'b' })).toBe(1);
      expect(textA).not.toContain('app="b"');
      expect(register.getMetricsAsArray()).toHaveLength(0);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('boots and closes 50 apps one after another without "already registered" errors or leaked handles', async () => {
    const handlesBefore = (process as any).getActiveResourcesInfo().length;
    // Watch the two process-wide resources that default metrics hold: each must be released.
    const observe = jest.spyOn(perfHooks.PerformanceObserver.prototype, 'observe');
    const disconnect = jest.spyOn(perfHooks.PerformanceObserver.prototype, 'disconnect');
    const histogramProto = Object.getPrototypeOf(perfHooks.monitorEventLoopDelay());
    const enable = jest.spyOn(histogramProto, 'enable');
    const disable = jest.spyOn(histogramProto, 'disable');
    for (let i = 0; i < 50; i++) {
      const app = await createTestApp(i % 2 ? 'fastify' : 'express', { imports: [ObservabilityModule.forRoot(), OrdersModule] });
      await request(app.getHttpServer()).get('/orders/1').expect(200);
      const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
      expect(sampleValue(text, 'orders_controller_find_total', { result: 'success' })).toBe(1);
      await app.close();
    }
    await new Promise((r) => setTimeout(r, 50));
    const resourcesAfter: string[] = (process as any).getActiveResourcesInfo();
    // A few may be settling (sockets closing); 50 apps' worth of leaks would be far more.
    expect(resourcesAfter.length).toBeLessThanOrEqual(handlesBefore + 2);
    expect(resourcesAfter.filter((r) => r === 'IntervalHistogram')).toEqual([]);
    expect(register.getMetricsAsArray()).toHaveLength(0);
    try {
      expect(observe).toHaveBeenCalledTimes(50);
      expect(disconnect).toHaveBeenCalledTimes(50);
      expect(enable).toHaveBeenCalledTimes(50);
      expect(disable).toHaveBeenCalledTimes(50);
    } finally {
      observe.mockRestore();
      disconnect.mockRestore();
      enable.mockRestore();
      disable.mockRestore();
    }
  }, 120000);

  it('is global by default and can be made local', async () => {
    @Injectable()
    class NeedsMetrics {
      constructor(readonly metrics: MetricsService) {}
    }
    @Module({ providers: [NeedsMetrics] })
    class Feature {}
    const app = await createTestApp('express', { imports: [ObservabilityModule.forRoot(), Feature] });
    expect(app.get(NeedsMetrics).metrics).toBeInstanceOf(MetricsService);
    await app.close();
    await expect(createTestApp('express', { imports: [ObservabilityModule.forRoot({ isGlobal: false }), Feature] })).rejects.toThrow(/MetricsService/);
  });
});
