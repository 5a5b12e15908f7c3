import { INestApplication } from '@nestjs/common';
import { ManagementServer, MetricsAuthOptions, ObservabilityModule } from '../../lib';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';
import { rawRequest } from '../support/raw-http';

type Port = 'app port' | 'management port';
const PORTS: Port[] = ['app port', 'management port'];

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

const SCHEMES: Array<{ name: string; auth: MetricsAuthOptions; good: string; wrong: string[]; challenge: string }> = [
  {
    name: 'bearer',
    auth: { bearerToken: 's3cr3t-t0ken' },
    good: 'Bearer s3cr3t-t0ken',
    // Wrong token, a prefix of it, a longer one, the right token under the other scheme, no token.
    wrong: ['Bearer wrong', 'Bearer s3cr3t', 'Bearer s3cr3t-t0ken-and-more', `Basic ${Buffer.from('s3cr3t-t0ken').toString('base64')}`, 'Bearer', 's3cr3t-t0ken'],
    challenge: 'Bearer realm="metrics"',
  },
  {
    name: 'basic',
    auth: { username: 'prometheus', password: 'pa:ss wörd' },
    good: basic('prometheus', 'pa:ss wörd'),
    wrong: [basic('prometheus', 'wrong'), basic('other', 'pa:ss wörd'), basic('prometheus', 'pa:ss'), 'Bearer pa:ss wörd', 'Basic !!!'],
    challenge: 'Basic realm="metrics", charset="UTF-8"',
  },
];

/** One request over a fresh connection; the app's port is its listening server. */
const get = (port: number, path: string, headers: Record<string, string> = {}) => rawRequest(port, path, { headers });

describe.each(PLATFORMS)('metrics.auth on %s', (platform) => {
  describe.each(PORTS)('on the %s', (where) => {
    describe.each(SCHEMES)('$name', ({ auth, good, wrong, challenge }) => {
      let app: INestApplication;
      let port: number;

      beforeAll(async () => {
        app = await createTestApp(platform, {
          imports: [
            ObservabilityModule.forRoot({
              metrics: { defaultMetrics: false, auth },
              ...(where === 'management port' ? { management: { port: 0, host: '127.0.0.1' } } : {}),
            }),
          ],
        });
        await app.listen(0, '127.0.0.1');
        port = where === 'management port' ? app.get(ManagementServer).port! : (app.getHttpServer().address() as { port: number }).port;
      });
      afterAll(() => app.close());

      it('answers 401 with WWW-Authenticate without credentials', async () => {
        const res = await get(port, '/metrics');
        expect({ status: res.status, challenge: res.headers['www-authenticate'], body: res.body }).toEqual({ status: 401, challenge, body: 'Unauthorized\n' });
      });

      it('answers 401 with WWW-Authenticate to wrong credentials, and never shows a metric', async () => {
        for (const authorization of wrong) {
          const res = await get(port, '/metrics', { Authorization: authorization });
          expect({ authorization, status: res.status, challenge: res.headers['www-authenticate'] }).toEqual({ authorization, status: 401, challenge });
          expect(res.body).not.toContain('# TYPE');
        }
      });

      it('serves both formats to the right credentials (scheme name in any case)', async () => {
        const res = await get(port, '/metrics', { Authorization: good });
        expect(res.status).toBe(200);
        expect(res.body).toContain('# TYPE http_server_request_duration_seconds histogram');
        const lower = good.replace(/^\w+/, (scheme) => scheme.toLowerCase());
        const open = await get(port, '/metrics', { Authorization: lower, Accept: 'application/openmetrics-text' });
        expect(open.status).toBe(200);
        expect(open.body.endsWith('# EOF\n')).toBe(true);
      });

      it('never asks the probes for credentials', async () => {
        for (const probe of ['live', 'ready', 'startup']) {
          expect({ probe, status: (await get(port, `/health/${probe}`)).status }).toEqual({ probe, status: 200 });
        }
        expect((await get(port, '/health/ready', { Authorization: 'Bearer wrong' })).status).toBe(200);
      });
    });
  });
});
