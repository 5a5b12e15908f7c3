import { CallbackSite, InstrumentationCallbackFailures } from '../instrumentation/callback-failures';

/**
 * The values of a decorator's `labels` function, for its declared `labelNames`, bounded: past `max` distinct
 * value sets per method they all become `other` (as exception classes past 50 become `other`), so that no
 * argument can create unbounded series. A function that throws gives `unknown` values and is counted.
 */
export class DynamicLabels {
  private readonly seen = new Set<string>();
  private readonly unknown: string[];
  private readonly other: string[];

  constructor(
    readonly names: readonly string[],
    private readonly derive: (args: any[], result: any) => Record<string, unknown>,
    private readonly max: number,
    private readonly failures: InstrumentationCallbackFailures,
    private readonly site: CallbackSite,
  ) {
    this.unknown = names.map(() => 'unknown');
    this.other = names.map(() => 'other');
  }

  /** The label values of one call, in the order of `names`. */
  values(args: unknown[], result: unknown): string[] {
    let derived: Record<string, unknown> | undefined;
    try {
      derived = this.derive(args, result);
    } catch (error) {
      this.failures.record(this.site, error);
      return this.unknown;
    }
    const values = this.names.map((name) => {
      const value = derived?.[name];
      return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : 'unknown';
    });
    const key = values.join('\u0000');
    if (!this.seen.has(key)) {
      if (this.seen.size >= this.max) return this.other;
      this.seen.add(key);
    }
    return values;
  }
}
