import { ObservabilityPart } from '../observability-part.interface';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { BackgroundHandlersInstaller } from './background-handlers.installer';
import { EventHandlerInstrumenter } from './event-handler.instrumenter';
import { ScheduledJobInstrumenter } from './scheduled-job.instrumenter';

/** Tokens of the background instrumenters, `null` when their option, or both metrics and tracing, are off. */
export const SCHEDULED_JOBS = Symbol('nestjs-observability:scheduled-job-instrumenter');
export const EVENT_HANDLERS = Symbol('nestjs-observability:event-handler-instrumenter');

/** Whether background handlers get anything at all: a span, a metric, or both. */
function observed(options: ResolvedObservabilityOptions): boolean {
  return options.metrics.enabled || options.tracing.enabled;
}

/** `@Cron()`/`@Interval()`/`@Timeout()` jobs (@nestjs/schedule) and `@OnEvent()` handlers (@nestjs/event-emitter). */
export const backgroundPart: ObservabilityPart = {
  providers: [
    ScheduledJobInstrumenter,
    EventHandlerInstrumenter,
    {
      provide: SCHEDULED_JOBS,
      inject: [OBSERVABILITY_RESOLVED_OPTIONS, ScheduledJobInstrumenter],
      useFactory: (options: ResolvedObservabilityOptions, jobs: ScheduledJobInstrumenter) => (observed(options) && options.schedule.enabled ? jobs : null),
    },
    {
      provide: EVENT_HANDLERS,
      inject: [OBSERVABILITY_RESOLVED_OPTIONS, EventHandlerInstrumenter],
      useFactory: (options: ResolvedObservabilityOptions, events: EventHandlerInstrumenter) => (observed(options) && options.events.enabled ? events : null),
    },
    BackgroundHandlersInstaller,
  ],
  instrumenters: [SCHEDULED_JOBS, EVENT_HANDLERS],
};
