/** How often the loop's lateness is sampled, ms: a stall is seen to within this much. */
const RESOLUTION_MS = 20;

/**
 * The longest event-loop delay of the recent past, the same for every caller: samples are kept by time
 * (a window of `windowMs`), not consumed by whoever reads them, so a liveness probe and a second
 * consumer (a kubelet and an operator's curl, two kubelets) see the same stall. A delay stays visible
 * for at least `windowMs` and at most twice that.
 *
 * It measures the lateness of its own timer rather than reading `perf_hooks.monitorEventLoopDelay()`:
 * that histogram's `reset()` also forgets its last timestamp, so a stall that began right after a
 * rotation, before the monitor's next tick, was never recorded (and the probe said healthy).
 */
export class EventLoopDelayWindow {
  private currentMaxMs = 0;
  private previousMaxMs = 0;
  private windowStart = 0;
  private last = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly windowMs: number) {}

  start(): void {
    this.last = this.windowStart = performance.now();
    this.timer = setInterval(() => this.sample(), RESOLUTION_MS);
    // The window must never keep a closing process alive.
    this.timer.unref();
  }

  /** The longest delay seen in the last `windowMs` (or up to twice that), ms. */
  maxMs(): number {
    return Math.max(this.previousMaxMs, this.currentMaxMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private sample(): void {
    const now = performance.now();
    const late = Math.max(0, now - this.last - RESOLUTION_MS);
    this.last = now;
    if (now - this.windowStart >= this.windowMs) {
      // The stall that just ended belongs to the window that closes now, and so stays visible for the next one.
      this.previousMaxMs = Math.max(this.currentMaxMs, late);
      this.currentMaxMs = 0;
      this.windowStart = now;
    } else if (late > this.currentMaxMs) {
      this.currentMaxMs = late;
    }
  }
}
