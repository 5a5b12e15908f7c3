/**
 * Under `metrics.cluster`, OpenTelemetry-API metrics are left out of /metrics. The log says so once, as a
 * warning, and only when such an instrument exists: a MeterProvider with no instrument is nothing left out.
 */
import { INestApplication, Logger } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { ObservabilityModule } from '../../lib';
import { createTestApp } from '../fixtures/create-test-app';
import { startTestMeterProvider, TestMeterProvider } from '../support/test-meter-provider';

const NOTICE = 'OpenTelemetry-API metrics are left out of /metrics under metrics.cluster';

describe('metrics.cluster and OpenTelemetry-API metrics', () => {
  let dir: string;
  let app: INestApplication | undefined;
  let meters: TestMeterProvider | undefined;
  let warn: jest.SpyInstance;
  let error: jest.SpyInstance;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'obs-cluster-otel-'));
    warn = jest.spyOn(Logger.prototype, 'warn');
    error = jest.spyOn(Logger.prototype, 'error');
  });
  afterEach(async () => {
    await app?.close();
    await meters?.stop();
    app = meters = undefined;
    warn.mockRestore();
    error.mockRestore();
    rmSync(dir, { recursive: true, force: true });
  });

  const logged = (spy: jest.SpyInstance) => spy.mock.calls.filter((call) => String(call[0]).includes(NOTICE)).length;
  const boot = async () => {
    app = await createTestApp('express', { imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false, cluster: { directory: dir } } })] });
  };
  const scrape = () => request(app!.getHttpServer()).get('/metrics').expect(200);

  it('a MeterProvider with no instrument: nothing is logged', async () => {
    meters = startTestMeterProvider();
    await boot();
    await scrape();
    await scrape();
    expect([logged(warn), logged(error)]).toEqual([0, 0]);
  });

  it('an OpenTelemetry-API counter: one warning, no error, and the counter is not on /metrics', async () => {
    meters = startTestMeterProvider();
    meters.provider.getMeter('shop').createCounter('orders.placed').add(1);
    await boot();
    const text = (await scrape()).text;
    await scrape();
    expect(text).not.toContain('orders_placed_total');
    expect([logged(warn), logged(error)]).toEqual([1, 0]);
  });
});
