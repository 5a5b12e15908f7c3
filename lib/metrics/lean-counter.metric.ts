/** One labelled series of a `LeanCounter`. `inc()` is a plain addition: no hashing, no validation. */
export class LeanCounterChild {
  value = 0;
  constructor(readonly labels: Readonly<Record<string, string>>) {}

  /** Adds `by` (default 1). */
  inc(by = 1): void {
    this.value += by;
  }
}

/**
 * A counter for the module's hot paths (`@Counted()`, HTTP metrics). Callers bind a child
 * once per label set and then pay one addition per event. It has prom-client's `get()`
 * shape, so it lives in a prom-client `Registry` beside ordinary metrics.
 */
export class LeanCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private children = new Map<string, LeanCounterChild>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** The child for these label values, created on first use. */
  child(labels: Record<string, string>): LeanCounterChild {
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    let child = this.children.get(key);
    if (child === undefined) {
      child = new LeanCounterChild({ ...labels });
      this.children.set(key, child);
    }
    return child;
  }

  async get() {
    const values = [];
    for (const child of this.children.values()) values.push({ labels: child.labels, value: child.value });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series; the bound children stay valid. */
  reset(): void {
    for (const child of this.children.values()) child.value = 0;
  }
}
