import { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ObservabilityModule } from '../../lib';
import { createTestApp, PLATFORMS } from '../fixtures/create-test-app';

const THRESHOLD_MS = 400;
const WINDOW_MS = 1000;

/** Blocks this process (and so the app in it) for `ms`, as a synchronous JSON.parse of a huge body would. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe.each(PLATFORMS)('liveness event-loop threshold on %s', (platform) => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  const live = () => request(app!.getHttpServer()).get('/health/live');
  /** Polls liveness until it answers `status` (a loaded machine may stall the loop on its own). */
  const until = async (status: number) => {
    let last = 0;
    for (let i = 0; i < 100 && last !== status; i++) {
      last = (await live()).status;
      if (last !== status) await new Promise((r) => setTimeout(r, 100));
    }
    return last;
  };

  it('gives every caller the same answer after a stall (time window, not consumed by the first probe), then recovers', async () => {
    app = await createTestApp(platform, {
      imports: [ObservabilityModule.forRoot({ metrics: false, health: { liveness: { maxEventLoopDelayMs: THRESHOLD_MS, eventLoopWindowMs: WINDOW_MS } } })],
    });
    expect(await until(200)).toBe(200);
    stall(THRESHOLD_MS * 2 + 200);
    // The kubelet, a second kubelet, an operator's curl: the same stall for each.
    const answers = [await live(), await live(), await live()];
    expect(answers.map((r) => `${r.status} ${r.body.error?.process?.eventLoopDelayMaxMs ?? r.body.info?.process?.eventLoopDelayMaxMs}`)).toEqual([expect.stringMatching(/^503 /), expect.stringMatching(/^503 /), expect.stringMatching(/^503 /)]);
    for (const answer of answers) {
      expect(answer.body.error.process.message).toMatch(new RegExp(`^event-loop delay reached [\\d.]+ ms in the last 1 s, above ${THRESHOLD_MS} ms$`));
      expect(answer.body.error.process.eventLoopDelayMaxMs).toBeGreaterThan(THRESHOLD_MS);
    }
    // One to two windows later, the stall is history.
    expect(await until(200)).toBe(200);
  }, 30_000);
});
