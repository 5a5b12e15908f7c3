/** The signals a process manager sends to stop a worker on purpose: pm2 sends SIGINT, Kubernetes and `node:cluster` primaries SIGTERM. */
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Calls `onDeparture` once, when this worker is asked to stop (a deliberate scale down, a reload, a
 * shutdown), as opposed to a crash. It listens only beside a listener of the app's own (Nest's
 * `enableShutdownHooks()`): a listener of ours alone would stop Node from exiting on the signal.
 */
export class DepartureSignals {
  private readonly listening = new Set<string>();
  private fired = false;
  private readonly onSignal = () => {
    if (this.fired) return;
    this.fired = true;
    this.onDeparture();
  };
  // `enableShutdownHooks()` may come after our init.
  private readonly onNewListener = (event: string | symbol) => {
    if (typeof event === 'string' && (SIGNALS as readonly string[]).includes(event)) this.listen(event);
  };

  constructor(private readonly onDeparture: () => void) {}

  start(): void {
    for (const signal of SIGNALS) if (process.listenerCount(signal) > 0) this.listen(signal);
    process.on('newListener', this.onNewListener);
  }

  stop(): void {
    process.off('newListener', this.onNewListener);
    for (const signal of this.listening) process.off(signal as NodeJS.Signals, this.onSignal);
    this.listening.clear();
  }

  private listen(signal: string): void {
    if (this.listening.has(signal)) return;
    this.listening.add(signal);
    // Added from within 'newListener', before the app's own listener is in place: still beside it.
    process.prependListener(signal as NodeJS.Signals, this.onSignal);
  }
}
