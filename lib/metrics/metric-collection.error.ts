/**
 * A metric's `collect()` (or reading its values) failed during a render: says which metric, and keeps
 * the error it threw as `cause`.
 */
export class MetricCollectionError extends Error {
  constructor(
    readonly metricName: string,
    cause: unknown,
  ) {
    super(`collecting metric "${metricName}" failed`, { cause });
    this.name = 'MetricCollectionError';
  }
}
