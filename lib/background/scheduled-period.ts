import { createRequire } from 'node:module';
import { ScheduledKind, ScheduledSpecOptions } from './background-handlers.installer';

/** Ticks of a cron expression looked at: enough to see a weekly pattern's longest gap. */
const TICKS = 9;

/** Loads a package the way @nestjs/schedule itself resolves it (its `cron` dependency). */
export type PackageLoader = (name: string) => any;

/** Resolves `cron` from where @nestjs/schedule is installed (it may not be hoisted next to this package). */
export function scheduleDependencyLoader(): PackageLoader {
  return createRequire(require.resolve('@nestjs/schedule/package.json'));
}

/**
 * The longest time, in seconds, the schedule leaves between two runs: the delay of an `@Interval()`,
 * the longest gap among the next runs of a `@Cron()` expression (a weekday job: three days over the
 * weekend). `undefined` for a `@Timeout()` and a one-off `@Cron(date)`, which run once. It throws when
 * `cron` cannot be loaded or the expression is invalid (the caller says so once).
 */
export function scheduledPeriodSeconds(kind: ScheduledKind, options: ScheduledSpecOptions, load: () => PackageLoader): number | undefined {
  if (kind === 'interval') return typeof options.delayMs === 'number' && options.delayMs > 0 ? options.delayMs / 1000 : undefined;
  if (kind !== 'cron' || typeof options.cronTime !== 'string') return undefined;
  const { CronTime } = load()('cron') as { CronTime: new (source: string, timeZone?: string, utcOffset?: number | string) => { sendAt(n: number): Array<{ toMillis(): number }> } };
  const ticks = new CronTime(options.cronTime, options.timeZone, options.utcOffset).sendAt(TICKS).map((t) => t.toMillis());
  let longest = 0;
  for (let i = 1; i < ticks.length; i++) longest = Math.max(longest, ticks[i] - ticks[i - 1]);
  return longest > 0 ? longest / 1000 : undefined;
}
