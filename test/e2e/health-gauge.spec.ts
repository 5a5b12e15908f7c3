/**
 * `health_indicator_status{indicator, probe}` is the indicator's latest result, whichever probe ran it.
 * Kubernetes stops calling the startup probe after its first success, so the startup series of an
 * indicator that is also in readiness is kept current by the readiness probes; it does not stay at the
 * 0 of a failed startup check once the dependency is back.
 */
import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ObservabilityModule } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';
import { FakeDatabase, StorageModule } from '../fixtures/health.app';

describe.each(PLATFORMS)('health_indicator_status on %s', (platform) => {
  let app: INestApplication;
  afterEach(() => app.close());

  it('an indicator in readiness and startup: readiness checks refresh its startup series too', async () => {
    app = await createTestApp(platform, {
      imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false } }), StorageModule],
    });
    const server = app.getHttpServer();
    const status = async (probe: string) =>
      sampleValue((await request(server).get('/metrics')).text, 'health_indicator_status', { indicator: 'database', probe });

    const db = app.get(FakeDatabase);
    db.healthy = false;
    await request(server).get('/health/startup').expect(503);
    await request(server).get('/health/ready').expect(503);
    expect([await status('startup'), await status('readiness')]).toEqual([0, 0]);

    // The database comes back; only readiness is called from now on (the kubelet is done with startup).
    db.healthy = true;
    await request(server).get('/health/ready').expect(200);
    expect([await status('startup'), await status('readiness')]).toEqual([1, 1]);

    // And the other way: a failing readiness check shows on the startup series as well.
    db.healthy = false;
    await request(server).get('/health/ready').expect(503);
    expect([await status('startup'), await status('readiness')]).toEqual([0, 0]);
  });
});
