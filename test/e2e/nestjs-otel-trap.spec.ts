/**
 * nestjs-otel's trap (nestjs-otel#529): an instrument created before the SDK's MeterProvider is registered stays a
 * no-op for the process. The module says so, once, naming the fix: at boot when nestjs-otel is loaded and no
 * MeterProvider is registered, and at scrape time when nestjs-otel holds no-op instruments.
 * A file of its own: nestjs-otel caches instruments per module registry, which Jest keeps per file.
 */
import { Injectable, Logger, Module } from '@nestjs/common';
import { MetricService, OpenTelemetryModule } from 'nestjs-otel';
import request from 'supertest';
import { ObservabilityModule } from '../../lib';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';
import { startTestMeterProvider, TestMeterProvider } from '../support/test-meter-provider';

@Injectable()
class EarlyInstruments {
  constructor(metricService: MetricService) {
    // Created at DI time: before the SDK in this (wrong) order.
    metricService.getCounter('trap.early', { description: 'Created before the SDK' }).add(1);
  }
}

@Module({ providers: [EarlyInstruments] })
class EarlyModule {}

describe.each(PLATFORMS)('nestjs-otel instruments created before the SDK, %s', (platform) => {
  let sdk: TestMeterProvider | undefined;
  afterEach(async () => {
    await sdk?.stop();
    sdk = undefined;
  });

  it('warns once at boot, once at scrape naming the no-op instruments, and the fix', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const app = await createTestApp(platform, {
      imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false }, health: false }), OpenTelemetryModule.forRoot(), EarlyModule],
    });
    try {
      const trapWarnings = () => warn.mock.calls.map(([m]) => String(m)).filter((m) => m.includes('nestjs-otel#529'));
      expect(trapWarnings()).toHaveLength(1);
      expect(trapWarnings()[0]).toContain('no OpenTelemetry MeterProvider is registered');
      expect(trapWarnings()[0]).toContain('startObservabilitySdk()');

      // The SDK starts too late: the early counter stays a no-op.
      sdk = startTestMeterProvider('late');
      // (nestjs-otel caches per process: a name per platform, so that this one is created under this provider.)
      app.get(MetricService).getCounter(`trap.late.${platform}`).add(1);
      const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
      await request(app.getHttpServer()).get('/metrics').expect(200);
      expect(text).toContain(`trap_late_${platform}_total`);
      expect(text).not.toContain('trap_early');
      expect(trapWarnings()).toHaveLength(2);
      expect(trapWarnings()[1]).toContain('"trap.early"');
      expect(trapWarnings()[1]).not.toContain('trap.late');
      expect(trapWarnings()[1]).toContain('before NestFactory.create()');
    } finally {
      warn.mockRestore();
      await app.close();
    }
  });
});
