/**
 * Paths and ports that booted but could not work (issue 24 item 14): a module endpoint on an app route, dot
 * segments, the app on the management port.
 */
import { Controller, Get, INestApplication, Module } from '@nestjs/common';
import request from 'supertest';
import { ObservabilityConfigError, ObservabilityModule, ObservabilityModuleOptions } from '../../lib';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';
import { freePort } from '../support/free-port';

@Controller('stats')
class StatsController {
  @Get()
  summary() {
    return { app: 'stats' };
  }

  @Get(':id')
  one() {
    return { app: 'one stat' };
  }
}

@Controller()
class ProbeLikeController {
  @Get('health/ready')
  ready() {
    return { app: 'ready' };
  }
}

@Module({ controllers: [StatsController] })
class StatsModule {}

@Module({ controllers: [ProbeLikeController] })
class ProbeLikeModule {}

async function bootError(platform: (typeof PLATFORMS)[number], imports: any[]): Promise<Error> {
  let app: INestApplication | undefined;
  try {
    app = await createTestApp(platform, { imports });
  } catch (error) {
    return error as Error;
  }
  await app.close();
  throw new Error('the app booted');
}

describe.each(PLATFORMS)('endpoint paths that cannot work, on %s', (platform) => {
  it('refuses metrics.path on an app route at boot, naming the route', async () => {
    const error = await bootError(platform, [ObservabilityModule.forRoot({ metrics: { path: '/stats', defaultMetrics: false } }), StatsModule]);
    expect(error).toBeInstanceOf(ObservabilityConfigError);
    expect(error.message).toContain(`Option "metrics.path" puts the module's endpoint on /stats, where the app's StatsController.summary() already answers GET /stats`);
  });

  it('refuses a probe path on an app route at boot', async () => {
    const error = await bootError(platform, [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false } }), ProbeLikeModule]);
    expect(error).toBeInstanceOf(ObservabilityConfigError);
    expect(error.message).toContain('Option "health.probePaths.readiness" puts the module\'s endpoint on /health/ready');
  });

  it('boots beside a route parameter below the same path, and with the endpoints on the management port', async () => {
    let app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot({ metrics: { path: '/stats/all', defaultMetrics: false } }), StatsModule] });
    try {
      await request(app.getHttpServer()).get('/stats/7').expect(200, { app: 'one stat' });
    } finally {
      await app.close();
    }
    app = await createTestApp(platform, {
      imports: [ObservabilityModule.forRoot({ metrics: { path: '/stats', defaultMetrics: false }, management: { port: 0, host: '127.0.0.1' } }), StatsModule],
    });
    try {
      await request(app.getHttpServer()).get('/stats').expect(200, { app: 'stats' });
    } finally {
      await app.close();
    }
  });

  it('says that app.listen() on the management port is the management port, not a raw EADDRINUSE', async () => {
    const port = await freePort();
    const app = await createTestApp(platform, { imports: [ObservabilityModule.forRoot({ metrics: { defaultMetrics: false }, management: { port, host: '127.0.0.1' } })] });
    try {
      const listening = app.listen(port, '127.0.0.1');
      await expect(listening).rejects.toThrow(`The app cannot listen on port ${port}: it is the management port ("management.port")`);
      await expect(listening).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await app.close();
    }
  });
});

describe('dot segments in endpoint paths', () => {
  it.each<[string, ObservabilityModuleOptions, string]>([
    ["metrics.path '/..'", { metrics: { path: '/..' } }, 'Invalid option "metrics.path"'],
    ["metrics.path '/metrics/.'", { metrics: { path: '/metrics/.' } }, 'Invalid option "metrics.path"'],
    ["health.path '/ops/../health'", { health: { path: '/ops/../health' } }, 'Invalid option "health.path"'],
    ["probePaths.readiness '..'", { health: { probePaths: { readiness: '..' } } }, 'Invalid option "health.probePaths.readiness"'],
  ])('refuses %s at boot', async (_case, options, message) => {
    const error = await bootError('express', [ObservabilityModule.forRoot(options)]);
    expect(error).toBeInstanceOf(ObservabilityConfigError);
    expect(error.message).toContain(message);
  });

  it('keeps dots inside a segment', async () => {
    const app = await createTestApp('express', { imports: [ObservabilityModule.forRoot({ metrics: { path: '/.well-known/metrics.v1', defaultMetrics: false } })] });
    try {
      await request(app.getHttpServer()).get('/.well-known/metrics.v1').expect(200);
    } finally {
      await app.close();
    }
  });
});
