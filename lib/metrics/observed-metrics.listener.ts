import { context, trace } from '@opentelemetry/api';
import { InvocationListener } from '../instrumentation/instrumentation-spec.interface';
import { ChildCache } from './exception-children';
import { LeanCounter, LeanCounterChild } from './lean-counter.metric';
import { LeanHistogram, LeanHistogramChild } from './lean-histogram.metric';

/** The counter and histogram series of one outcome of an `@Observed()` method. */
interface Outcome {
  readonly count: LeanCounterChild;
  readonly time: LeanHistogramChild;
}

/**
 * The metrics of `@Observed()`: one clock read pair and one outcome lookup per call feed both the counter and
 * the histogram (where `@Counted() @Timed()` are two listeners, each with its own lookup).
 */
export function observedMetricsListener(
  counter: LeanCounter,
  histogram: LeanHistogram,
  labels: Record<string, string>,
  exemplars: boolean,
): InvocationListener<number> {
  const outcome = (result: string, exception: string): Outcome => ({
    count: counter.child({ ...labels, result, exception }),
    time: histogram.child({ ...labels, result, exception }),
  });
  const success = outcome('success', 'none');
  const failures = new ChildCache<Outcome>((exception) => outcome('failure', exception));
  return {
    start: () => performance.now(),
    end(start, error, failed) {
      const seconds = (performance.now() - start) / 1000;
      const series = failed ? failures.get(error) : success;
      series.count.inc();
      // The active span is the method's own (the span layer is outside this one).
      if (exemplars) series.time.observeInSpan(seconds, trace.getSpan(context.active())?.spanContext());
      else series.time.observe(seconds);
    },
  };
}
