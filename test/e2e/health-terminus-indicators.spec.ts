import { INestApplication, Module } from '@nestjs/common';
import { HttpHealthIndicator, MemoryHealthIndicator } from '@nestjs/terminus';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { ObservabilityConfigError, ObservabilityModule } from '../../lib';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';

/** The docs/health.md snippet's module, with the payments API on a loopback server of the test's. */
function appModule(paymentsUrl: string, heapLimitBytes: number) {
  @Module({
    imports: [
      ObservabilityModule.forRoot({
        metrics: false,
        health: {
          indicators: [
            {
              name: 'heap',
              probes: ['liveness'],
              inject: [MemoryHealthIndicator],
              check: (memory: MemoryHealthIndicator) => memory.checkHeap('heap', heapLimitBytes),
            },
            {
              name: 'payments-api',
              inject: [HttpHealthIndicator],
              check: (http: HttpHealthIndicator) => http.pingCheck('payments-api', paymentsUrl),
            },
          ],
        },
      }),
    ],
  })
  class AppModule {}
  return AppModule;
}

describe.each(PLATFORMS)("Terminus' own indicators (Scope.TRANSIENT) on %s", (platform) => {
  let app: INestApplication | undefined;
  let payments: Server;
  let healthy = true;
  beforeAll(async () => {
    payments = createServer((_req, res) => {
      res.writeHead(healthy ? 200 : 500).end();
    });
    await new Promise<void>((resolve) => payments.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => new Promise((resolve) => payments.close(resolve)));
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it("boots with the documented HttpHealthIndicator and MemoryHealthIndicator, and runs them: 200 up, 503 when the API fails", async () => {
    const url = `http://127.0.0.1:${(payments.address() as AddressInfo).port}/health`;
    // The docs say 512 MB; a Jest worker of the whole suite can hold more than that.
    app = await createTestApp(platform, appModule(url, 8 * 1024 ** 3));
    healthy = true;
    const ready = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(ready.body.info['payments-api']).toEqual({ status: 'up' });
    const live = await request(app.getHttpServer()).get('/health/live').expect(200);
    expect(live.body.info.heap).toEqual({ status: 'up' });
    healthy = false;
    const down = await request(app.getHttpServer()).get('/health/ready').expect(503);
    expect(down.body.error['payments-api'].status).toBe('down');
  });

  it('fails the boot with an ObservabilityConfigError that says why, for an indicator whose dependency cannot be had', async () => {
    class NotAProvider {}
    const boot = createTestApp(platform, {
      imports: [ObservabilityModule.forRoot({ metrics: false, health: { indicators: [{ name: 'x', inject: [NotAProvider], check: () => true }] } })],
    });
    await expect(boot).rejects.toThrow(ObservabilityConfigError);
    await expect(
      createTestApp(platform, {
        imports: [ObservabilityModule.forRoot({ metrics: false, health: { indicators: [{ name: 'x', inject: [NotAProvider], check: () => true }] } })],
      }),
    ).rejects.toThrow('health.indicators "x", inject[0]: NotAProvider cannot be injected: no provider NotAProvider is registered in the application');
  });
});
