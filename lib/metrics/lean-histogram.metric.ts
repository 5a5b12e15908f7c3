/** An exemplar as prom-client renders it: labels (trace_id, span_id), the observed value, seconds since epoch. */
export interface ExemplarValue {
  labelSet: Record<string, string>;
  value: number;
  timestamp: number;
}

/** One labelled series of a `LeanHistogram`: a bucket array, a sum and a count. */
export class LeanHistogramChild {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** Last exemplar per bucket (index `bounds.length` is +Inf); allocated on first use. */
  exemplars: Array<ExemplarValue | null> | null = null;

  constructor(
    readonly labels: Readonly<Record<string, string>>,
    private readonly bounds: readonly number[],
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records one value; returns the bucket index it fell in. */
  observe(value: number): number {
    const bounds = this.bounds;
    const n = bounds.length;
    let i = 0;
    while (i < n && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
    return i;
  }

  /** Records one value and keeps `labelSet` as the exemplar of its bucket. */
  observeWithExemplar(value: number, labelSet: Record<string, string>): void {
    const i = this.observe(value);
    const exemplars = (this.exemplars ??= new Array(this.bounds.length + 1).fill(null));
    exemplars[i] = { labelSet, value, timestamp: Date.now() / 1000 };
  }

  /**
   * Records one value made inside a span: with the span's ids as the exemplar when the span is
   * sampled (so it can be found in the tracing backend), as a plain observation otherwise.
   */
  observeInSpan(value: number, spanContext: { traceId: string; spanId: string; traceFlags: number } | undefined): void {
    if (spanContext !== undefined && (spanContext.traceFlags & 1) === 1) {
      this.observeWithExemplar(value, { trace_id: spanContext.traceId, span_id: spanContext.spanId });
    } else {
      this.observe(value);
    }
  }

  /** Observations in bucket `index`, not cumulative (`bounds.length` is the bucket above the last bound). */
  bucketCount(index: number): number {
    return this.counts[index];
  }

  /** The last exemplar of bucket `index`, if any. */
  bucketExemplar(index: number): ExemplarValue | null {
    return this.exemplars?.[index] ?? null;
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    this.exemplars = null;
  }
}

/**
 * A histogram for the module's hot paths (HTTP duration, `@Timed()`). Children are bound once per
 * label set; `observe()` is a bucket search and three additions. It has prom-client's
 * `get()` / `getForPromString()` shapes, so prom-client's Registry and renderer accept it.
 */
export class LeanHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private children = new Map<string, LeanHistogramChild>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly buckets: readonly number[],
  ) {}

  /** The child for these label values, created on first use. */
  child(labels: Record<string, string>): LeanHistogramChild {
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    let child = this.children.get(key);
    if (child === undefined) {
      child = new LeanHistogramChild({ ...labels }, this.buckets);
      this.children.set(key, child);
    }
    return child;
  }

  /** Every child, in creation order, as the renderer walks them. */
  series(): IterableIterator<LeanHistogramChild> {
    return this.children.values();
  }

  /** prom-client's rendering shape: `labels` holds `le` only, the series labels are `sharedLabels`. */
  async getForPromString() {
    const values: Array<{
      labels: Record<string, string | number>;
      sharedLabels: Readonly<Record<string, string>>;
      value: number;
      metricName: string;
      exemplar?: ExemplarValue | null;
    }> = [];
    const bucketName = `${this.name}_bucket`;
    for (const child of this.children.values()) {
      let acc = 0;
      for (let i = 0; i <= this.buckets.length; i++) {
        acc += child.counts[i];
        values.push({
          labels: { le: i < this.buckets.length ? this.buckets[i] : '+Inf' },
          sharedLabels: child.labels,
          value: acc,
          metricName: bucketName,
          exemplar: child.exemplars?.[i] ?? null,
        });
      }
      values.push({ labels: {}, sharedLabels: child.labels, value: child.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: child.labels, value: child.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** prom-client's JSON shape: series labels and `le` merged. */
  async get() {
    const data = await this.getForPromString();
    return {
      ...data,
      values: data.values.map(({ labels, sharedLabels, value, metricName, exemplar }) => ({
        labels: { ...sharedLabels, ...labels },
        value,
        metricName,
        exemplar,
      })),
    };
  }

  /** Zeroes every series; the bound children stay valid. */
  reset(): void {
    for (const child of this.children.values()) child.reset();
  }
}
