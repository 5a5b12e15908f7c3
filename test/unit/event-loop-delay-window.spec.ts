import { EventLoopDelayWindow } from '../../lib/health/event-loop-delay.window';

/** Blocks the event loop for `ms`, as a synchronous parse of a huge body would. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('EventLoopDelayWindow', () => {
  it('sees a stall that begins before its first sample (perf_hooks\' monitor, reset or just enabled, missed it)', async () => {
    const window = new EventLoopDelayWindow(1000);
    window.start();
    try {
      stall(300);
      await tick(50);
      expect(window.maxMs()).toBeGreaterThan(200);
    } finally {
      window.stop();
    }
  });

  it('keeps a stall visible for a whole window after the one it fell in, then forgets it', async () => {
    const window = new EventLoopDelayWindow(200);
    window.start();
    try {
      await tick(150);
      stall(300);
      await tick(50);
      expect(window.maxMs()).toBeGreaterThan(200);
      await tick(150);
      expect(window.maxMs()).toBeGreaterThan(200);
      // Two windows with no stall later, only ordinary jitter is left.
      let max = Infinity;
      for (let i = 0; i < 40 && max > 200; i++) {
        await tick(50);
        max = window.maxMs();
      }
      expect(max).toBeLessThan(200);
    } finally {
      window.stop();
    }
  });
});
