import { INestApplication, Module } from '@nestjs/common';
import { LazyModuleLoader } from '@nestjs/core';
import request from 'supertest';
import { down, HealthIndicator, ObservabilityHealthIndicator, ObservabilityModule } from '../../lib';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';

@HealthIndicator('reports-db')
class ReportsDbHealth implements ObservabilityHealthIndicator {
  check() {
    return down({ message: 'reports database unreachable' });
  }
}

/** A feature module loaded on first use, as `LazyModuleLoader` is meant for. */
@Module({ providers: [ReportsDbHealth] })
class ReportsModule {}

describe.each(PLATFORMS)('indicators of modules loaded with LazyModuleLoader on %s', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('runs them from the first probe after the module is loaded, and says so once', async () => {
    const logs: string[] = [];
    app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot({ metrics: false })] }, (a) =>
      a.useLogger({ log: (m: string) => logs.push(m), warn: (m: string) => logs.push(m), error: (m: string) => logs.push(m), debug() {}, verbose() {} }),
    );
    const ready = () => request(app!.getHttpServer()).get('/health/ready');
    expect((await ready().expect(200)).body.info).toEqual({ shutdown: { status: 'up' } });
    await app.get(LazyModuleLoader).load(() => ReportsModule);
    for (let i = 0; i < 2; i++) {
      const res = await ready().expect(503);
      expect(res.body.error['reports-db']).toEqual({ status: 'down', message: 'reports database unreachable' });
    }
    expect(logs.filter((m) => m.includes('"reports-db" (readiness) of a lazily loaded module is run from now on'))).toHaveLength(1);
  });
});
