import { Inject, Injectable } from '@nestjs/common';
import type { Tracer } from '@opentelemetry/api';
import { OBSERVABILITY_RESOLVED_OPTIONS, OBSERVABILITY_TRACER } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { InstrumentationSpec, InvocationListener, MethodInstrumenter } from '../instrumentation/instrumentation-spec.interface';
import { MetricsService } from '../metrics/metrics.service';
import { createSpanListener } from '../tracing/span-listener';
import { EVENT_KIND, EventSpecOptions } from './background-handlers.installer';
import { measuredRunListener } from './measured-run.listener';

/**
 * Turns the `@OnEvent()` handlers that `BackgroundHandlersInstaller` prepared into listeners: each call
 * is a span `event order.created`, a child of the context that emitted the event (an HTTP request's
 * span, a job's span), and is timed in `event_handler_duration_seconds{event, handler, result}`. The
 * `event` label is the pattern the handler declared, never the emitted name, so wildcards stay bounded.
 */
@Injectable()
export class EventHandlerInstrumenter implements MethodInstrumenter {
  readonly kinds = [EVENT_KIND] as const;
  readonly order = 300;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(OBSERVABILITY_TRACER) private readonly tracer: Tracer,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions,
  ) {}

  createListener(spec: InstrumentationSpec): InvocationListener<any> {
    const event = (spec.options as EventSpecOptions).events.join(', ');
    const handler = `${spec.className}.${spec.methodName}`;
    const { metrics, tracing } = this.options;
    const spans = tracing.enabled
      ? createSpanListener(this.tracer, `event ${event}`, { attributes: { 'nest.event': event, 'nest.class': spec.className, 'nest.method': spec.methodName } })
      : null;
    if (!metrics.enabled) return measuredRunListener(spans, null);
    const histogram = this.metrics.leanHistogram(
      'event_handler_duration_seconds',
      'Duration of @OnEvent handlers, in seconds, by event pattern, handler and result.',
      ['event', 'handler', 'result'],
      this.options.events.buckets,
      `the @OnEvent() handler ${handler}`,
    );
    return measuredRunListener(spans, { histogram, labels: { event, handler }, exemplars: tracing.enabled && tracing.exemplars });
  }
}
