import { activeWhen, ObservabilityPart } from '../observability-part.interface';
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
    activeWhen(SCHEDULED_JOBS, ScheduledJobInstrumenter, (options) => observed(options) && options.schedule.enabled),
    activeWhen(EVENT_HANDLERS, EventHandlerInstrumenter, (options) => observed(options) && options.events.enabled),
    BackgroundHandlersInstaller,
  ],
  instrumenters: [SCHEDULED_JOBS, EVENT_HANDLERS],
};
