type SignalListener = (signal: NodeJS.Signals) => void;

/** Marks the listeners of every gate, so that two apps in one process never hold each other's. */
const GATE_LISTENER = Symbol.for('nestjs-observability.shutdown-signal-gate');

/**
 * Holds back the other listeners of one signal (Nest's `enableShutdownHooks()` handler first of all)
 * until the drain is over: on the signal, `onSignal` runs alone, and the held listeners run when it
 * resolves. So Nest's shutdown, and with it every module's `onModuleDestroy` (a Prisma `$disconnect`),
 * starts only once no request is left, instead of racing the drain.
 *
 * The gate's own listener is the only one registered for the signal: listeners added later (Nest's, when
 * `enableShutdownHooks()` comes after `listen()`) are moved behind it as they arrive. `release()` puts
 * them back, unless the signal came: then they already ran, and the process is left without a listener
 * of its own, so the signal Nest re-raises ends it as Node would.
 */
export class ShutdownSignalGate {
  private readonly held: SignalListener[] = [];
  private installed = false;
  private fired = false;
  private readonly listener: SignalListener & { [GATE_LISTENER]?: true } = (signal) => void this.fire(signal);
  private readonly onNewListener = (event: string | symbol, listener: SignalListener) => {
    if (event !== this.signal || (listener as { [GATE_LISTENER]?: true })[GATE_LISTENER]) return;
    // `newListener` comes before the listener is added: move it on the next tick.
    process.nextTick(() => this.hold(listener));
  };

  constructor(
    readonly signal: NodeJS.Signals,
    private readonly onSignal: (signal: NodeJS.Signals) => Promise<void>,
  ) {
    this.listener[GATE_LISTENER] = true;
  }

  /** Whether the signal came. */
  get received(): boolean {
    return this.fired;
  }

  /**
   * Takes the signal over, but only beside a listener of the app's (Nest's): a gate alone would stop
   * Node from ending the process on the signal. Until one is there, waits for it.
   */
  install(): void {
    process.on('newListener', this.onNewListener);
    for (const listener of process.rawListeners(this.signal) as SignalListener[]) this.hold(listener);
  }

  /** Gives the signal back: the held listeners return (when the signal never came), the gate leaves. */
  release(): void {
    process.off('newListener', this.onNewListener);
    if (this.installed) process.off(this.signal, this.listener);
    this.installed = false;
    const held = this.held.splice(0);
    if (!this.fired) for (const listener of held) process.on(this.signal, listener);
  }

  private hold(listener: SignalListener): void {
    if ((listener as { [GATE_LISTENER]?: true })[GATE_LISTENER] || !process.rawListeners(this.signal).includes(listener)) return;
    process.off(this.signal, listener);
    this.held.push(listener);
    if (!this.installed) {
      this.installed = true;
      process.prependListener(this.signal, this.listener);
    }
  }

  private async fire(signal: NodeJS.Signals): Promise<void> {
    if (this.fired) return;
    this.fired = true;
    process.off('newListener', this.onNewListener);
    try {
      await this.onSignal(signal);
    } finally {
      const held = this.held.splice(0);
      for (const listener of held) listener.call(process, signal);
    }
  }
}
