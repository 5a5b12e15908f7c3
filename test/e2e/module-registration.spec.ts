/**
 * One ObservabilityModule per application: a second forRoot()/forRootAsync() (a root one plus one in a
 * feature module) is refused at boot, naming where both calls are. One registration imported in two
 * places, and two separate applications in one process, work.
 */
import { Controller, Get, Injectable, INestApplication, Module, Post } from '@nestjs/common';
import request from 'supertest';
import { Counted, ObservabilityConfigError, ObservabilityModule, ObservabilityTestingModule } from '../../lib';
import { createTestApp, PLATFORMS, sampleValue } from '../fixtures/create-test-app';

@Injectable()
class OrdersService {
  @Counted()
  create() {
    return { id: '1' };
  }
}

@Controller('orders')
class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  create() {
    return this.orders.create();
  }
}

/** Boots with the given imports and returns the boot error (or fails if it booted). */
async function bootError(imports: () => unknown[]): Promise<Error> {
  let app: INestApplication;
  try {
    app = await createTestApp('express', { imports: imports() as any[] });
  } catch (error) {
    return error as Error;
  }
  await app.close();
  throw new Error('the app booted');
}

/** `file:line` of the line that contains `marker` in this spec, as the error message should name it. */
function lineOf(marker: string): string {
  const lines = require('node:fs').readFileSync(__filename, 'utf8').split('\n') as string[];
  const index = lines.findIndex((line) => line.includes(marker) && !line.includes('lineOf('));
  return `${__filename}:${index + 1}:`;
}

describe('ObservabilityModule registered more than once in one application', () => {
  it('a root forRoot() and a feature module forRoot(): refused at boot, naming both calls', async () => {
    const error = await bootError(() => {
      @Module({
        imports: [ObservabilityModule.forRoot({ metrics: { path: '/feature-metrics' } })], // feature call
        controllers: [OrdersController],
        providers: [OrdersService],
      })
      class FeatureModule {}
      return [ObservabilityModule.forRoot(), FeatureModule]; // root call
    });
    expect(error).toBeInstanceOf(ObservabilityConfigError);
    expect(error.message).toContain('ObservabilityModule is registered 2 times in one application');
    expect(error.message).toContain(`forRoot() at ${lineOf('// feature call')}`);
    expect(error.message).toContain(`forRoot() at ${lineOf('// root call')}`);
    expect(error.message).toContain('Call forRoot() (or forRootAsync()) once, in the root module');
  });

  it('forRoot() and forRootAsync(): refused', async () => {
    const error = await bootError(() => [
      ObservabilityModule.forRoot(),
      ObservabilityModule.forRootAsync({ useFactory: () => ({}) }), // async call
    ]);
    expect(error).toBeInstanceOf(ObservabilityConfigError);
    expect(error.message).toContain(`forRootAsync() at ${lineOf('// async call')}`);
  });

  it('ObservabilityTestingModule.forRoot() beside an app module that has its own forRoot(): refused, naming the test line', async () => {
    const error = await bootError(() => {
      @Module({ imports: [ObservabilityModule.forRoot()] }) // app call
      class AppModule {}
      return [ObservabilityTestingModule.forRoot(), AppModule]; // testing call
    });
    expect(error).toBeInstanceOf(ObservabilityConfigError);
    expect(error.message).toContain(lineOf('// testing call'));
    expect(error.message).toContain(lineOf('// app call'));
  });

  describe.each(PLATFORMS)('on %s', (platform) => {
    const apps: INestApplication[] = [];
    afterEach(async () => {
      await Promise.all(apps.splice(0).map((app) => app.close()));
    });

    it('one registration imported by two modules (isGlobal: false) is one instance: one /metrics, counting the feature', async () => {
      const observability = ObservabilityModule.forRoot({ isGlobal: false, metrics: { defaultMetrics: false } });
      @Module({ imports: [observability], controllers: [OrdersController], providers: [OrdersService] })
      class FeatureModule {}
      const app = await createTestApp(platform, { imports: [observability, FeatureModule] });
      apps.push(app);
      for (let i = 0; i < 3; i++) await request(app.getHttpServer()).post('/orders').expect(201);
      const text = (await request(app.getHttpServer()).get('/metrics').expect(200)).text;
      expect(sampleValue(text, 'orders_service_create_total', { result: 'success' })).toBe(3);
      expect(sampleValue(text, 'http_server_request_duration_seconds_count', { http_route: '/orders' })).toBe(3);
    });

    it('two applications in one process, each with its own forRoot(), both boot and count their own traffic', async () => {
      @Controller('ping')
      class PingController {
        @Get()
        ping() {
          return 'pong';
        }
      }
      const first = await createTestApp(platform, { imports: [ObservabilityModule.forRoot()], controllers: [PingController] });
      apps.push(first);
      const second = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot()], controllers: [PingController] });
      apps.push(second);
      await request(first.getHttpServer()).get('/ping').expect(200);
      await request(first.getHttpServer()).get('/ping').expect(200);
      await request(second.getHttpServer()).get('/ping').expect(200);
      const count = async (app: INestApplication) =>
        sampleValue((await request(app.getHttpServer()).get('/metrics').expect(200)).text, 'http_server_request_duration_seconds_count', { http_route: '/ping' });
      expect(await count(first)).toBe(2);
      expect(await count(second)).toBe(1);
    });
  });
});
