import { Histogram } from 'prom-client';
import { ExemplarValue, LeanHistogram } from './lean-histogram.metric';

/**
 * One labelled series of a histogram as the renderer reads it: bucket counts that are not yet
 * cumulative (index `bounds.length` is the bucket above the last bound), a sum and a count.
 */
export interface HistogramSeries {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly sum: number;
  readonly count: number;
  bucketCount(index: number): number;
  bucketExemplar(index: number): ExemplarValue | null;
}

/** The bounds of a histogram and a way to walk its series, read at render time. */
export interface HistogramSeriesSource {
  readonly bounds: readonly number[];
  readonly series: Iterable<HistogramSeries>;
}

/** The module's own histogram: its children already have the series shape. */
export function leanHistogramSeries(histogram: LeanHistogram): HistogramSeriesSource {
  return { bounds: histogram.buckets, series: histogram.series() };
}

/** What a prom-client Histogram keeps per label set (prom-client 15). */
interface PromClientHistogramEntry {
  labels: Record<string, string | number>;
  bucketValues: Record<string, number>;
  bucketExemplars?: Record<string, ExemplarValue | null> | null;
  sum: number;
  count: number;
}

/** The parts of a prom-client Histogram that the renderer reads. */
export interface PromClientHistogram {
  readonly name: string;
  readonly help: string;
  readonly upperBounds: number[];
  readonly hashMap: Record<string, PromClientHistogramEntry>;
  collect?: () => unknown;
}

/**
 * The metric, when it is a plain prom-client Histogram from the copy of prom-client this module
 * uses; null for anything else (a subclass that renders itself, another copy of prom-client),
 * which is then rendered through its own `getForPromString()`.
 */
export function asPromClientHistogram(metric: unknown): PromClientHistogram | null {
  const candidate = metric as Partial<PromClientHistogram> & { getForPromString?: unknown };
  return metric instanceof Histogram &&
    candidate.getForPromString === (Histogram.prototype as unknown as { getForPromString: unknown }).getForPromString &&
    Array.isArray(candidate.upperBounds) &&
    candidate.hashMap !== null &&
    typeof candidate.hashMap === 'object'
    ? (candidate as PromClientHistogram)
    : null;
}

/**
 * Walks a prom-client Histogram's entries, in the order of prom-client's own `getForPromString()`.
 * The keys are taken when the walk starts (at render time, not when the scrape began), and each
 * entry is read when the renderer reaches it; an entry removed meanwhile is skipped.
 */
export function promClientHistogramSeries(histogram: PromClientHistogram): HistogramSeriesSource {
  return { bounds: histogram.upperBounds, series: { [Symbol.iterator]: () => walk(histogram.hashMap, histogram.upperBounds) } };
}

function* walk(map: Record<string, PromClientHistogramEntry>, bounds: readonly number[]): Generator<HistogramSeries> {
  const keys = Object.keys(map);
  // One reader object for all entries: the renderer is done with a series before it asks for the next.
  let entry: PromClientHistogramEntry = map[keys[0]];
  const reader: HistogramSeries = {
    get labels() {
      return entry.labels;
    },
    get sum() {
      return entry.sum;
    },
    get count() {
      return entry.count;
    },
    bucketCount: (index) => (index < bounds.length ? (entry.bucketValues[bounds[index]] ?? 0) : 0),
    // prom-client keys the +Inf bucket's exemplar as "-1".
    bucketExemplar: (index) => entry.bucketExemplars?.[index < bounds.length ? bounds[index] : -1] ?? null,
  };
  for (let i = 0; i < keys.length; i++) {
    const next = map[keys[i]];
    if (next === undefined) continue;
    entry = next;
    yield reader;
  }
}
