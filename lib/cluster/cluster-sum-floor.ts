/**
 * The last guard of a cluster sum: a summed counter or histogram series (bucket, `_sum`, `_count`)
 * never shows less than this worker showed before, within one deployment (a new deployment starts
 * with new processes, hence a new floor). Exact sums already make a decrease impossible while every
 * worker's own counts only grow; the floor catches what would still break that (a kept file lost, a
 * value that came back smaller), and `onAct` counts each time it holds a series up, so it is never silent.
 */
export class ClusterSumFloor {
  private readonly floors = new Map<string, Map<string, number>>();

  constructor(private readonly onAct: (metric: string) => void = () => undefined) {}

  /** `value`, or the series' floor when `value` is below it (counted). */
  apply(metric: string, key: string, value: number): number {
    let series = this.floors.get(metric);
    if (series === undefined) {
      series = new Map();
      this.floors.set(metric, series);
    }
    const floor = series.get(key);
    if (floor !== undefined && value < floor) {
      this.onAct(metric);
      return floor;
    }
    // NaN never becomes a floor (it compares false with everything).
    if (!Number.isNaN(value)) series.set(key, value);
    return value;
  }
}
