import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { INSTRUMENTATION_METADATA, OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { createInstrumentationDecorator } from '../instrumentation/instrument-method.decorator';
import { InstrumentationSpec } from '../instrumentation/instrumentation-spec.interface';
import { ownerOf } from '../tracing/handler-tracing.installer';

// The packages' own metadata keys (the same in @nestjs/schedule 6 and 12, @nestjs/event-emitter 3 and 12):
// reading them needs neither package installed.
const SCHEDULER_TYPE = 'SCHEDULER_TYPE';
const SCHEDULER_NAME = 'SCHEDULER_NAME';
const SCHEDULE_CRON_OPTIONS = 'SCHEDULE_CRON_OPTIONS';
const SCHEDULE_INTERVAL_OPTIONS = 'SCHEDULE_INTERVAL_OPTIONS';
const SCHEDULE_TIMEOUT_OPTIONS = 'SCHEDULE_TIMEOUT_OPTIONS';
const EVENT_LISTENER_METADATA = 'EVENT_LISTENER_METADATA';
/** `SchedulerType` of @nestjs/schedule: 1 CRON, 2 TIMEOUT, 3 INTERVAL. */
const SCHEDULER_KINDS: Record<number, ScheduledKind> = { 1: 'cron', 2: 'timeout', 3: 'interval' };

/** The spec kinds of scheduled handlers; they read as the decorators in the explorer's messages. */
export type ScheduledKind = 'cron' | 'interval' | 'timeout';
export const SCHEDULED_KINDS: readonly ScheduledKind[] = ['cron', 'interval', 'timeout'];
export const EVENT_KIND = 'onEvent';

/** What the installer records of a `@Cron()`, `@Interval()` or `@Timeout()` handler. */
export interface ScheduledSpecOptions {
  readonly auto: true;
  /** The name given to the decorator, if any. */
  readonly name?: string;
  /** `@Cron()`: the cron expression (or a Date for a one-off run) and its time zone or UTC offset. */
  readonly cronTime?: unknown;
  readonly timeZone?: string;
  readonly utcOffset?: number | string;
  /** `@Interval()` / `@Timeout()`: the delay in ms. */
  readonly delayMs?: number;
}

/** What the installer records of an `@OnEvent()` handler: the events (patterns) it listens to. */
export interface EventSpecOptions {
  readonly auto: true;
  readonly events: readonly string[];
}

/**
 * Gives each `@Cron()`/`@Interval()`/`@Timeout()` and `@OnEvent()` handler the instrumentation dispatcher
 * at provider-creation time. That is before @nestjs/schedule captures the method (its explorer runs in
 * `onModuleInit`) and before @nestjs/event-emitter subscribes (`onApplicationBootstrap`), whatever the
 * order of the modules. The dispatcher calls the original until the explorer installs this app's handler.
 */
@Injectable()
export class BackgroundHandlersInstaller {
  constructor(discovery: DiscoveryService, scanner: MetadataScanner, @Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions) {
    const schedule = options.schedule.enabled;
    const events = options.events.enabled;
    if (!schedule && !events) return;
    for (const wrapper of [...discovery.getProviders(), ...discovery.getControllers()]) {
      const prototype = (wrapper.metatype as { prototype?: Record<string, unknown> } | null)?.prototype;
      if (!prototype || wrapper.isAlias) continue;
      for (const name of scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler !== 'function') continue;
        const found = (schedule && scheduledSpec(handler)) || (events && eventSpec(handler)) || null;
        if (found === null) continue;
        const specs: InstrumentationSpec[] = Reflect.getMetadata(INSTRUMENTATION_METADATA, handler) ?? [];
        if (specs.some((s) => s.kind === found.kind)) continue;
        const owner = ownerOf(prototype, name);
        const descriptor = Object.getOwnPropertyDescriptor(owner, name)!;
        createInstrumentationDecorator(found.kind, found.options)(owner, name, descriptor);
        Object.defineProperty(owner, name, descriptor);
      }
    }
  }
}

function scheduledSpec(handler: object): { kind: ScheduledKind; options: ScheduledSpecOptions } | null {
  const kind = SCHEDULER_KINDS[Reflect.getMetadata(SCHEDULER_TYPE, handler) as number];
  if (kind === undefined) return null;
  const name = Reflect.getMetadata(SCHEDULER_NAME, handler) as string | undefined;
  if (kind === 'cron') {
    const cron = (Reflect.getMetadata(SCHEDULE_CRON_OPTIONS, handler) ?? {}) as { cronTime?: unknown; timeZone?: string; utcOffset?: number | string };
    return { kind, options: { auto: true, name, cronTime: cron.cronTime, timeZone: cron.timeZone, utcOffset: cron.utcOffset } };
  }
  const delay = Reflect.getMetadata(kind === 'interval' ? SCHEDULE_INTERVAL_OPTIONS : SCHEDULE_TIMEOUT_OPTIONS, handler) as { timeout?: number } | undefined;
  return { kind, options: { auto: true, name, delayMs: delay?.timeout } };
}

function eventSpec(handler: object): { kind: string; options: EventSpecOptions } | null {
  const metadata = Reflect.getMetadata(EVENT_LISTENER_METADATA, handler) as Array<{ event: unknown }> | { event: unknown } | undefined;
  if (metadata === undefined) return null;
  const listeners = Array.isArray(metadata) ? metadata : [metadata];
  return { kind: EVENT_KIND, options: { auto: true, events: [...new Set(listeners.map((l) => eventName(l.event)))] } };
}

/** An event as a label value: eventemitter2 takes strings, symbols and namespaced arrays (`['order', '*']`). */
function eventName(event: unknown): string {
  if (typeof event === 'symbol') return event.description ?? 'symbol';
  if (Array.isArray(event)) return event.map(eventName).join('.');
  return String(event);
}
