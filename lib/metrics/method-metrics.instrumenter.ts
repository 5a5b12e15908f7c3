import { Inject, Injectable } from '@nestjs/common';
import { context, trace } from '@opentelemetry/api';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ObservabilityConfigError } from '../observability-config.error';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { checkBuckets } from '../observability-options.resolver';
import { InstrumentationSpec, InvocationListener, MethodInstrumenter } from '../instrumentation/instrumentation-spec.interface';
import { InstrumentationCallbackFailures } from '../instrumentation/callback-failures';
import { CallbackMetric } from './callback.metric';
import { CountedOptions } from './counted.decorator';
import { DynamicLabels } from './dynamic-labels';
import { ChildCache } from './exception-children';
import { observedMetricsListener } from './observed-metrics.listener';
import { ObservedOptions } from '../observed/observed.decorator';
import { LeanCounter, LeanCounterChild } from './lean-counter.metric';
import { LeanHistogram, LeanHistogramChild } from './lean-histogram.metric';
import { MetricsService } from './metrics.service';
import { TimedOptions } from './timed.decorator';

const RESERVED_LABELS = ['class', 'method', 'result', 'exception', 'le', 'quantile'];
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Turns `@Counted()` and `@Timed()` specs into listeners. Label children are bound once
 * per method, so a call costs one addition (counter) or a bucket search (histogram).
 */
@Injectable()
export class MethodMetricsInstrumenter implements MethodInstrumenter {
  readonly kinds = ['counted', 'timed', 'observed'] as const;
  readonly order = 10;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions,
    private readonly callbackFailures: InstrumentationCallbackFailures,
  ) {
    if (options.metrics.enabled) {
      metrics.registerCallbackMetric(
        new CallbackMetric(
          'observability_instrumentation_callback_errors_total',
          'Decorator callbacks (attributes, onResult, labels) that threw. The calls went on unchanged.',
          'counter',
          () => callbackFailures.samples(),
        ),
      );
    }
  }

  createListener(spec: InstrumentationSpec): InvocationListener<any> {
    if (spec.kind === 'observed') return this.observedListener(spec as InstrumentationSpec<ObservedOptions>);
    return spec.kind === 'counted'
      ? this.countedListener(spec as InstrumentationSpec<CountedOptions>)
      : this.timedListener(spec as InstrumentationSpec<TimedOptions>);
  }

  /** `@Observed()`: its count and its duration in one listener, bound to the same label children. */
  private observedListener(spec: InstrumentationSpec<ObservedOptions>): InvocationListener<number> {
    const where = `@Observed() on ${spec.className}.${spec.methodName}`;
    const { labels, labelNames } = this.baseLabels(spec, where);
    const counter = this.metrics.leanCounter(
      `${baseName(spec, '_total')}_total`,
      spec.options.help ?? `Calls of ${spec.className}.${spec.methodName}, by result and exception.`,
      labelNames,
      where,
    );
    const histogram = this.histogramOf(spec, where, labelNames);
    return observedMetricsListener(counter, histogram, labels, this.options.tracing.enabled && this.options.tracing.exemplars);
  }

  private histogramOf(spec: InstrumentationSpec<TimedOptions | ObservedOptions>, where: string, labelNames: string[]): LeanHistogram {
    const buckets = spec.options.buckets ? checkBuckets(`${where}: buckets`, spec.options.buckets) : this.options.metrics.timedBuckets;
    return this.metrics.leanHistogram(
      `${baseName(spec, '_seconds')}_seconds`,
      spec.options.help ?? `Duration of ${spec.className}.${spec.methodName} in seconds, by result and exception.`,
      labelNames,
      buckets,
      where,
    );
  }

  private countedListener(spec: InstrumentationSpec<CountedOptions>): InvocationListener<any> {
    const where = `@Counted() on ${spec.className}.${spec.methodName}`;
    const { labels, labelNames, dynamic } = this.baseLabels(spec, where);
    const counter = this.metrics.leanCounter(
      `${baseName(spec, '_total')}_total`,
      spec.options.help ?? `Calls of ${spec.className}.${spec.methodName}, by result and exception.`,
      labelNames,
      where,
    );
    if (dynamic !== undefined) return dynamicCountedListener(counter, labels, dynamic);
    const success = counter.child({ ...labels, result: 'success', exception: 'none' });
    const failures = new ChildCache<LeanCounterChild>((exception) => counter.child({ ...labels, result: 'failure', exception }));
    return {
      start: () => undefined,
      end: (_state, error, failed) => (failed ? failures.get(error) : success).inc(),
      // A plain value returned: the success count, without the listener's other steps.
      returned: () => success.inc(),
    };
  }

  private timedListener(spec: InstrumentationSpec<TimedOptions>): InvocationListener<number> {
    const where = `@Timed() on ${spec.className}.${spec.methodName}`;
    const { labels, labelNames } = this.baseLabels(spec, where);
    const histogram = this.histogramOf(spec, where, labelNames);
    const success = histogram.child({ ...labels, result: 'success', exception: 'none' });
    const failures = new ChildCache<LeanHistogramChild>((exception) => histogram.child({ ...labels, result: 'failure', exception }));
    if (!this.options.tracing.enabled || !this.options.tracing.exemplars) {
      return {
        start: () => performance.now(),
        end: (start, error, failed) => (failed ? failures.get(error) : success).observe((performance.now() - start) / 1000),
      };
    }
    return {
      start: () => performance.now(),
      // The active span here is the @Traced span around this call, or the request's server span.
      end: (start, error, failed) =>
        (failed ? failures.get(error) : success).observeInSpan((performance.now() - start) / 1000, trace.getSpan(context.active())?.spanContext()),
    };
  }

  private baseLabels(spec: InstrumentationSpec<CountedOptions | TimedOptions | ObservedOptions>, where: string) {
    const given = spec.options.labels ?? {};
    const extra = typeof given === 'function' ? {} : given;
    for (const [name, value] of Object.entries(extra)) {
      checkLabelName(name, where);
      if (typeof value !== 'string') {
        throw new ObservabilityConfigError(`${where}: label "${name}" must have a string value, got ${typeof value}.`);
      }
    }
    const dynamicNames = typeof given === 'function' ? ((spec.options as CountedOptions).labelNames ?? []) : [];
    if (typeof given === 'function') {
      if (spec.kind !== 'counted' || dynamicNames.length === 0) {
        throw new ObservabilityConfigError(
          spec.kind !== 'counted'
            ? `${where}: labels must be fixed values here; a labels function is supported by @Counted().`
            : `${where}: a labels function needs labelNames, the names it returns (e.g. labelNames: ['channel']).`,
        );
      }
      for (const name of dynamicNames) checkLabelName(name, where);
      if (new Set(dynamicNames).size !== dynamicNames.length) throw new ObservabilityConfigError(`${where}: labelNames has a name twice.`);
    }
    const maxLabelSets = (spec.options as CountedOptions).maxLabelSets ?? 100;
    if (!Number.isInteger(maxLabelSets) || maxLabelSets < 1) {
      throw new ObservabilityConfigError(`${where}: maxLabelSets must be a positive integer, got ${String(maxLabelSets)}.`);
    }
    const dynamic =
      typeof given === 'function'
        ? new DynamicLabels(dynamicNames, given, maxLabelSets, this.callbackFailures, this.callbackFailures.site('Counted', 'labels', spec.className, spec.methodName))
        : undefined;
    return {
      labels: { class: spec.className, method: spec.methodName, ...extra },
      labelNames: ['class', 'method', 'result', 'exception', ...Object.keys(extra), ...dynamicNames],
      dynamic,
    };
  }
}

function checkLabelName(name: string, where: string): void {
  if (!LABEL_NAME.test(name) || RESERVED_LABELS.includes(name)) {
    throw new ObservabilityConfigError(`${where}: label "${name}" is not allowed. Use a Prometheus label name other than ${RESERVED_LABELS.join(', ')}.`);
  }
}

/** `@Counted({ labels: (args, result) => ... })`: the child is looked up per call, by bounded values. */
function dynamicCountedListener(counter: LeanCounter, labels: Record<string, string>, dynamic: DynamicLabels): InvocationListener<unknown[]> {
  const children = new Map<string, LeanCounterChild>();
  const exceptions = new ChildCache<string>((exception) => exception);
  return {
    start: (_thisArg, args) => args,
    end: (args, error, failed, value) => {
      const values = dynamic.values(args, failed ? undefined : value);
      const exception = failed ? exceptions.get(error) : 'none';
      const key = `${exception}\u0000${values.join('\u0000')}`;
      let child = children.get(key);
      if (child === undefined) {
        const all: Record<string, string> = { ...labels, result: failed ? 'failure' : 'success', exception };
        dynamic.names.forEach((name, i) => (all[name] = values[i]));
        child = counter.child(all);
        children.set(key, child);
      }
      child.inc();
    },
  };
}

/** The metric base name: the decorator's `name`, or `<class>_<method>` in snake case. */
function baseName(spec: InstrumentationSpec<CountedOptions | TimedOptions | ObservedOptions>, suffix: string): string {
  const raw = spec.options.name ?? `${snake(spec.className)}_${snake(spec.methodName)}`;
  const name = raw.replace(/[^a-zA-Z0-9_:]/g, '_');
  return name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
}

function snake(identifier: string): string {
  return identifier
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}
