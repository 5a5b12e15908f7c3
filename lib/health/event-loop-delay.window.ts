import { monitorEventLoopDelay, type ELDHistogram } from 'node:perf_hooks';

/** Resolution of the delay monitor, ms: a stall is seen to within this much. */
const RESOLUTION_MS = 20;

/**
 * The longest event-loop delay of the recent past, the same for every caller: the monitor's samples
 * are kept by time (a window of `windowMs`, rotated on a timer), not consumed by whoever reads them, so
 * a liveness probe and a second consumer (a kubelet and an operator's curl, two kubelets) see the same
 * stall. A delay stays visible for at least `windowMs` and at most twice that.
 */
export class EventLoopDelayWindow {
  private readonly monitor: ELDHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private previousMaxMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly windowMs: number) {}

  start(): void {
    this.monitor.enable();
    this.timer = setInterval(() => {
      this.previousMaxMs = this.currentMaxMs();
      this.monitor.reset();
    }, this.windowMs);
    // The window must never keep a closing process alive.
    this.timer.unref();
  }

  /** The longest delay seen in the last `windowMs` (or up to twice that), ms. */
  maxMs(): number {
    return Math.max(this.previousMaxMs, this.currentMaxMs());
  }

  stop(): void {
    clearInterval(this.timer);
    this.monitor.disable();
  }

  private currentMaxMs(): number {
    // 0 before the first sample.
    const max = this.monitor.max / 1e6;
    return Number.isFinite(max) ? max : 0;
  }
}
