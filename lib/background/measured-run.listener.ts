import { Attributes, ROOT_CONTEXT, SpanKind, trace, Tracer } from '@opentelemetry/api';
import { InvocationListener } from '../instrumentation/instrumentation-spec.interface';
import { LeanHistogram, LeanHistogramChild } from '../metrics/lean-histogram.metric';
import { createSpanListener, SpanState } from '../tracing/span-listener';

/** What one run keeps between start and end: its start time and its span, if one was created. */
interface RunState {
  started: number;
  span: SpanState;
}

/** The duration series of one handler: success and failure children, bound once. */
export interface RunSeries {
  histogram: LeanHistogram;
  labels: Record<string, string>;
  /** Observations carry the span's ids as exemplars (`tracing.exemplars`). */
  exemplars: boolean;
  /** Called after a successful run, e.g. to set a last-success timestamp. */
  onSuccess?: () => void;
}

/**
 * The listener of a scheduled job or an event handler: an optional span (`spans`), and the run's
 * duration in `series` by `result` (success/failure). The histogram is observed before the span ends,
 * with the span's ids as the exemplar.
 */
export function measuredRunListener(spans: InvocationListener<SpanState> | null, series: RunSeries | null): InvocationListener<RunState> {
  let success: LeanHistogramChild | undefined;
  let failure: LeanHistogramChild | undefined;
  if (series) {
    success = series.histogram.child({ ...series.labels, result: 'success' });
    failure = series.histogram.child({ ...series.labels, result: 'failure' });
  }
  const record = (state: RunState, failed: boolean) => {
    if (!series) return;
    const seconds = (performance.now() - state.started) / 1000;
    const child = failed ? failure! : success!;
    if (series.exemplars) child.observeInSpan(seconds, state.span?.span.spanContext());
    else child.observe(seconds);
    if (!failed) series.onSuccess?.();
  };
  return {
    start(thisArg, args) {
      return { started: performance.now(), span: spans ? spans.start(thisArg, args) : null };
    },
    run(state, body) {
      return spans?.run ? spans.run(state.span, body) : body();
    },
    end(state, error, failed) {
      record(state, failed);
      spans?.end(state.span, error, failed);
    },
    cancel(state) {
      spans?.cancel?.(state.span);
    },
  };
}

/**
 * A span listener whose span is always a root (of `ROOT_CONTEXT`): a job started by a timer belongs to no
 * request's trace, whatever context the timer was set up in. Run, end and cancel are `createSpanListener`'s.
 */
export function rootSpanListener(tracer: Tracer, name: string, attributes: Attributes): InvocationListener<SpanState> {
  return {
    ...createSpanListener(tracer, name),
    start() {
      const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes, root: true }, ROOT_CONTEXT);
      return { span, context: trace.setSpan(ROOT_CONTEXT, span) };
    },
  };
}
