import { INestApplication } from '@nestjs/common';
import { spawnSync } from 'node:child_process';
import request from 'supertest';
import { AppModule } from '../../sample/app.module';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';

/** Runs Prometheus' own linter on an exposition; promtool comes from Debian's prometheus package. */
function promtoolCheckMetrics(exposition: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (result.error) {
    throw new Error(`promtool is not installed (${result.error.message}). Install Debian's "prometheus" package; bash .ci/run does.`);
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe.each(PLATFORMS)("the sample's /metrics on %s", (platform) => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await createTestApp(platform, AppModule);
  });
  afterAll(() => app.close());

  it('passes promtool check metrics after real traffic', async () => {
    const server = app.getHttpServer();
    await request(server).post('/orders').send({ item: 'book', quantity: 2 }).expect(201);
    await request(server).get('/orders/1').expect(200);
    await request(server).get('/orders/404').expect(404);
    await request(server).get('/orders/fail').expect(500);
    await request(server).get('/no/such/route').expect(404);
    const text = (await request(server).get('/metrics').expect(200)).text;
    expect(text).toContain('http_server_request_duration_seconds_bucket{');
    expect(text).toContain('orders_service_create_total{');
    const { status, output } = promtoolCheckMetrics(text);
    expect(output).toBe('');
    expect(status).toBe(0);
  });

  it('is checked for real: promtool rejects a broken exposition', () => {
    const { status, output } = promtoolCheckMetrics('# TYPE thing_total gauge\nthing_total 1\n');
    expect(status).not.toBe(0);
    expect(output).toContain('non-counter metrics should not have "_total" suffix');
  });
});
