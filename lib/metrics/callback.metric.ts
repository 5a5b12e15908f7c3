/** One sample of a `CallbackMetric`. */
export interface CallbackSample {
  labels: Record<string, string>;
  value: number;
}

/**
 * A metric whose samples are read from a callback at scrape time, for values that live elsewhere
 * (the OpenTelemetry SDK's span counters). It has prom-client's `get()` shape.
 *
 * @example
 * new CallbackMetric('otel_sdk_spans_dropped_total', 'Spans dropped', 'counter', () => [{ labels: {}, value: stats.dropped }])
 */
export class CallbackMetric {
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
    private readonly read: () => CallbackSample[],
  ) {}

  async get() {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: this.read() };
  }

  reset(): void {
    // The source owns the values.
  }
}
