/**
 * The `nest11` Jest project's own check: the specs it runs, the fixtures and lib/ all get the Nest 11
 * line of every `@nestjs/*` package (test/nest11/node_modules), and the singletons they share (rxjs,
 * reflect-metadata, graphql...) exist once. Without it the rig could run Nest 12 silently: the metadata
 * keys are the same, so a mixed or wrong install still boots.
 */
import { Controller, Get, INestApplication } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { existsSync } from 'node:fs';
import { join, sep } from 'node:path';
import request from 'supertest';
import { MessagingClientInstrumenter } from '../../lib/messaging/messaging-client.instrumenter';
import { MetricsService, ObservabilityTestingModule, TestSpans } from '../../lib';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';

const RIG = join(__dirname, '..', 'nest11', 'node_modules');
const ROOT_MODULES = join(__dirname, '..', '..', 'node_modules');

// The major each package must have here: Nest's own line, and the satellites' lines that go with Nest 11.
const MAJORS: Record<string, number> = {
  common: 11,
  core: 11,
  testing: 11,
  'platform-express': 11,
  'platform-fastify': 11,
  microservices: 11,
  websockets: 11,
  'platform-socket.io': 11,
  'platform-ws': 11,
  terminus: 11,
  schedule: 6,
  'event-emitter': 3,
  bullmq: 11,
  axios: 4,
  graphql: 13,
  apollo: 13,
  mercurius: 13,
};

describe('the Nest 11 rig', () => {
  it.each(Object.entries(MAJORS))('@nestjs/%s resolves to its Nest 11 line in test/nest11', (name, major) => {
    const path = require.resolve(`@nestjs/${name}/package.json`);
    expect(path).toBe(join(RIG, '@nestjs', name, 'package.json'));
    expect(require(`@nestjs/${name}/package.json`).version).toMatch(new RegExp(`^${major}\\.`));
  });

  it('lib/ gets the same @nestjs/core as the specs (the Nest 11 one), not the root devDependency', () => {
    const [discovery] = Reflect.getMetadata('design:paramtypes', MessagingClientInstrumenter);
    expect(discovery).toBe(DiscoveryService);
    expect(require.resolve('@nestjs/core')).toContain(`${sep}test${sep}nest11${sep}node_modules${sep}`);
  });

  it.each(['rxjs', 'reflect-metadata', 'graphql', 'class-transformer', 'class-validator', '@opentelemetry/api'])(
    'one %s: none in the rig, the root one for Nest and lib/',
    (name) => {
      expect(existsSync(join(RIG, name))).toBe(false);
      if (existsSync(join(ROOT_MODULES, name))) expect(require.resolve(name).startsWith(join(ROOT_MODULES, name) + sep)).toBe(true);
    },
  );
});

@Controller('orders')
class OrdersController {
  @Get()
  list() {
    return [];
  }
}

describe.each(PLATFORMS)('the module on Nest 11 (%s)', (platform) => {
  let app: INestApplication;
  afterEach(() => app?.close());

  it('boots, traces a request and serves /metrics', async () => {
    app = await createTestApp(platform, { imports: [ObservabilityTestingModule.forRoot()], controllers: [OrdersController] });
    await request(app.getHttpServer()).get('/orders').expect(200);
    expect((await app.get(TestSpans).waitFor(1))[0].name).toBe('GET /orders');
    expect(await app.get(MetricsService).render('prometheus')).toMatch(/http_server_request_duration_seconds_count\{[^}]*http_route="\/orders"[^}]*\} 1/);
  });
});
