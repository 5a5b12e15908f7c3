import { Injectable, Module } from '@nestjs/common';
import request from 'supertest';
import { getObservabilitySdk, HealthIndicator, ObservabilityConfigError, ObservabilityModule, ObservabilityModuleOptions, startObservabilitySdk } from '../../lib';
import { createTestApp } from '../fixtures/create-test-app';

/** Boots an app with the given imports and returns the boot error, thrown by forRoot() or by Nest (or fails if it booted). */
async function bootError(imports: () => any[]): Promise<Error> {
  let app;
  try {
    app = await createTestApp('express', { imports: imports() });
  } catch (error) {
    return error as Error;
  }
  await app.close();
  throw new Error('the app booted');
}

describe('careless options fail the boot with a clear message', () => {
  it.each<[string, unknown, string]>([
    ['a string', 'x', 'Invalid option "ObservabilityModule.forRoot(options)": expected an options object'],
    ['an array', [], 'Invalid option "ObservabilityModule.forRoot(options)": expected an options object, like { metrics: { path: "/metrics" } }, or nothing, got an array ([]).'],
    ['isGlobal: "yes"', { isGlobal: 'yes' }, 'Invalid option "isGlobal": expected a boolean, got "yes".'],
    ['metrics.path on a probe', { metrics: { path: '/health/ready' } }, 'Options "metrics.path" and "health.probePaths.readiness" both put an endpoint on /health/ready'],
    ['metrics.path on a probe, other case and slashes', { metrics: { path: '//Health//Ready/' } }, 'Options "metrics.path" and "health.probePaths.readiness" both put an endpoint on /health/ready'],
    ['two probes on one path', { health: { probePaths: { readiness: 'live' } } }, 'Options "health.probePaths.liveness" and "health.probePaths.readiness" both put an endpoint on /health/live'],
    ['metrics.path "//"', { metrics: { path: '//' } }, 'Invalid option "metrics.path": expected a string that starts with "/", like "/metrics", made of literal segments'],
    ['a route parameter', { metrics: { path: '/metrics/:id' } }, 'Invalid option "metrics.path"'],
    ['a wildcard', { metrics: { path: '/metrics/*' } }, 'Invalid option "metrics.path"'],
    ['a wildcard in health.path', { health: { path: '/health*' } }, 'Invalid option "health.path"'],
    ['a parameter in a probe path', { health: { probePaths: { readiness: ':probe' } } }, 'Invalid option "health.probePaths.readiness"'],
    ['defaultLabels with le', { metrics: { defaultLabels: { le: '1' } } }, 'Invalid option "metrics.defaultLabels.le"'],
    ['defaultLabels with quantile', { metrics: { defaultLabels: { quantile: '1' } } }, 'Invalid option "metrics.defaultLabels.quantile"'],
    ['drainDelayMs: 3e9', { health: { drainDelayMs: 3e9 } }, 'Invalid option "health.drainDelayMs": expected a number of milliseconds from 0 to 2147483647'],
    ['timeoutMs: 3e9', { health: { timeoutMs: 3e9 } }, 'Invalid option "health.timeoutMs": expected a number of milliseconds from 1 to 2147483647'],
    ['deadlineMs: 3e9', { health: { deadlineMs: 3e9 } }, 'Invalid option "health.deadlineMs"'],
    ['cacheTtlMs: 3e9', { health: { cacheTtlMs: 3e9 } }, 'Invalid option "health.cacheTtlMs"'],
    ['maxEventLoopDelayMs: 3e9', { health: { liveness: { maxEventLoopDelayMs: 3e9 } } }, 'Invalid option "health.liveness.maxEventLoopDelayMs"'],
    ['an indicator timeoutMs: 3e9', { health: { indicators: [{ name: 'db', check: () => true, timeoutMs: 3e9 }] } }, 'Invalid option "health.indicators[0].timeoutMs"'],
    ['cluster missingWorkersGraceMs: 3e9', { metrics: { cluster: { missingWorkersGraceMs: 3e9 } } }, 'Invalid option "metrics.cluster.missingWorkersGraceMs": expected a whole number from 0 to 2147483647'],
    ['eventLoopMonitoringPrecision: 3e9', { metrics: { defaultMetrics: { eventLoopMonitoringPrecision: 3e9 } } }, 'Invalid option "metrics.defaultMetrics.eventLoopMonitoringPrecision"'],
  ])('forRoot with %s', async (_case, options, message) => {
    const error = await bootError(() => [ObservabilityModule.forRoot(options as ObservabilityModuleOptions)]);
    expect(error).toBeInstanceOf(ObservabilityConfigError);
    expect(error.message).toContain(message);
  });

  it('@HealthIndicator with timeoutMs above 2^31-1 fails where it is declared', () => {
    expect(() => HealthIndicator('db', { timeoutMs: 3e9 })).toThrow(`Invalid option "@HealthIndicator('db').timeoutMs": expected a number of milliseconds from 1 to 2147483647`);
  });

  it('startObservabilitySdk refuses delays and timeouts above 2^31-1 ms, as options and as OTEL_* variables', () => {
    expect(() => startObservabilitySdk({ exporter: 'none', exportTimeoutMillis: 3e9 })).toThrow(
      'Invalid option "startObservabilitySdk: exportTimeoutMillis": expected at most 2147483647 ms',
    );
    expect(() => startObservabilitySdk({ exporter: 'none', metrics: { exportIntervalMillis: 3e9 } })).toThrow(ObservabilityConfigError);
    process.env.OTEL_BSP_SCHEDULE_DELAY = '3000000000';
    try {
      expect(() => startObservabilitySdk({ exporter: 'none' })).toThrow('Invalid option "OTEL_BSP_SCHEDULE_DELAY"');
    } finally {
      delete process.env.OTEL_BSP_SCHEDULE_DELAY;
    }
    expect(getObservabilitySdk()).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['maxQueueSize NaN (the queue grew without bound)', { maxQueueSize: NaN }, 'Invalid option "startObservabilitySdk: maxQueueSize": expected a whole number of at least 1, got NaN.'],
    ['maxQueueSize 0 (every span dropped)', { maxQueueSize: 0 }, 'Invalid option "startObservabilitySdk: maxQueueSize"'],
    ['maxQueueSize -1', { maxQueueSize: -1 }, 'Invalid option "startObservabilitySdk: maxQueueSize"'],
    ['maxQueueSize 2.5', { maxQueueSize: 2.5 }, 'Invalid option "startObservabilitySdk: maxQueueSize"'],
    ['maxExportBatchSize 0', { maxExportBatchSize: 0 }, 'Invalid option "startObservabilitySdk: maxExportBatchSize"'],
    ["sampleRatio '0.5' (sampled 100%)", { sampleRatio: '0.5' }, 'Invalid option "startObservabilitySdk: sampleRatio": expected a number from 0 to 1 (0.25 samples a quarter of new traces), got "0.5".'],
    ['sampleRatio NaN', { sampleRatio: NaN }, 'Invalid option "startObservabilitySdk: sampleRatio"'],
    ['sampleRatio 1.5', { sampleRatio: 1.5 }, 'Invalid option "startObservabilitySdk: sampleRatio"'],
    ['scheduledDelayMillis -1', { scheduledDelayMillis: -1 }, 'Invalid option "startObservabilitySdk: scheduledDelayMillis"'],
    ['exportTimeoutMillis 0', { exportTimeoutMillis: 0 }, 'Invalid option "startObservabilitySdk: exportTimeoutMillis"'],
  ])('startObservabilitySdk refuses %s', (_case, options, message) => {
    expect(() => startObservabilitySdk({ exporter: 'none', ...options })).toThrow(ObservabilityConfigError);
    expect(() => startObservabilitySdk({ exporter: 'none', ...options })).toThrow(message);
    expect(getObservabilitySdk()).toBeUndefined();
  });

  it.each([
    ['OTEL_BSP_MAX_QUEUE_SIZE', '0'],
    ['OTEL_BSP_MAX_QUEUE_SIZE', 'lots'],
    ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE', '-1'],
  ])('startObservabilitySdk refuses %s=%s', (variable, value) => {
    process.env[variable] = value;
    try {
      expect(() => startObservabilitySdk({ exporter: 'none' })).toThrow(`Invalid option "${variable}": expected a whole number of at least 1, got "${value}".`);
    } finally {
      delete process.env[variable];
    }
    expect(getObservabilitySdk()).toBeUndefined();
  });

  it.each<[string, unknown, string]>([
    ['{}', {}, 'ObservabilityModule.forRootAsync() needs where its options come from: useFactory (with inject), useClass or useExisting; none was given.'],
    ['two sources', { useFactory: () => ({}), useClass: class {} }, 'takes one of useFactory, useClass or useExisting; got useFactory and useClass.'],
    ['a factory that is not a function', { useFactory: {} }, 'Invalid option "forRootAsync.useFactory": expected a function that returns the options'],
    ['inject that is not an array', { useFactory: () => ({}), inject: 'Config' }, 'Invalid option "forRootAsync.inject": expected an array'],
    ['isGlobal: "yes"', { useFactory: () => ({}), isGlobal: 'yes' }, 'Invalid option "isGlobal": expected a boolean, got "yes".'],
    ['a misspelt key', { usefactory: () => ({}) }, 'Unknown option "forRootAsync.usefactory". Did you mean "useFactory"? Known options of forRootAsync(): useFactory,'],
    ['optionsTimeoutMs: 3e9', { useFactory: () => ({}), optionsTimeoutMs: 3e9 }, 'Invalid option "forRootAsync.optionsTimeoutMs"'],
  ])('forRootAsync with %s says what is wrong', (_case, options, message) => {
    expect(() => ObservabilityModule.forRootAsync(options as any)).toThrow(ObservabilityConfigError);
    expect(() => ObservabilityModule.forRootAsync(options as any)).toThrow(message);
  });

  it('forRootAsync whose factory never settles fails the boot after optionsTimeoutMs', async () => {
    const started = Date.now();
    const error = await bootError(() => [ObservabilityModule.forRootAsync({ useFactory: () => new Promise<ObservabilityModuleOptions>(() => {}), optionsTimeoutMs: 200 })]);
    expect(error).toBeInstanceOf(ObservabilityConfigError);
    expect(error.message).toContain('The options of ObservabilityModule.forRootAsync() did not arrive within 200 ms');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('bounds a useClass factory too, and still boots with a slow but settling one', async () => {
    @Injectable()
    class NeverOptions {
      createObservabilityOptions(): Promise<ObservabilityModuleOptions> {
        return new Promise(() => {});
      }
    }
    expect((await bootError(() => [ObservabilityModule.forRootAsync({ useClass: NeverOptions, optionsTimeoutMs: 100 })])).message).toContain('did not arrive within 100 ms');
    @Injectable()
    class SlowOptions {
      async createObservabilityOptions(): Promise<ObservabilityModuleOptions> {
        await new Promise((r) => setTimeout(r, 50));
        return { metrics: { path: '/slow-metrics', defaultMetrics: false } };
      }
    }
    @Module({ providers: [SlowOptions], exports: [SlowOptions] })
    class SlowModule {}
    const app = await createTestApp('express', { imports: [ObservabilityModule.forRootAsync({ imports: [SlowModule], useExisting: SlowOptions, isGlobal: true })] });
    try {
      await request(app.getHttpServer()).get('/slow-metrics').expect(200);
    } finally {
      await app.close();
    }
  });

  it('forRoot(null) and forRoot() boot with the defaults', async () => {
    for (const options of [null, undefined]) {
      const app = await createTestApp('express', { imports: [ObservabilityModule.forRoot(options as any)] });
      await request(app.getHttpServer()).get('/metrics').expect(200);
      await request(app.getHttpServer()).get('/health/live').expect(200);
      await app.close();
    }
  });
});
