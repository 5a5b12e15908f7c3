import { Logger } from '@nestjs/common';
import { createNoopMeter, metrics } from '@opentelemetry/api';

/** Where nestjs-otel 8 keeps the instruments it created (a module-level Map, keyed by metric name). */
const NESTJS_OTEL_METER_DATA = /[\\/]nestjs-otel[\\/]lib[\\/]metrics[\\/]metric-data\.js$/;

const FIX =
  'Start the OpenTelemetry SDK before the app is created: call startObservabilitySdk() at the top of main.ts, before ' +
  'NestFactory.create() and before importing modules that create instruments at import time, or preload it with ' +
  '`node --require nestjs-observability/register` (ESM: `--import`).';

/**
 * Detects nestjs-otel's known trap (nestjs-otel#529): an instrument that nestjs-otel created while no SDK
 * `MeterProvider` was registered is a no-op, and stays one, because nestjs-otel caches it for the process.
 * It reads nestjs-otel's cache only if the app already loaded nestjs-otel (it never loads it itself), and warns
 * once per module instance, naming the fix.
 */
export class NestjsOtelTrapDetector {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly noopInstruments: ReadonlySet<unknown>;
  /** nestjs-otel's caches, looked up once (at boot: the app imported nestjs-otel before creating itself). */
  private caches: Array<Map<string, unknown>> | null = null;
  private warnedNoProvider = false;
  private warnedNoops = false;

  constructor() {
    const meter = createNoopMeter();
    this.noopInstruments = new Set<unknown>([
      meter.createCounter('noop'),
      meter.createUpDownCounter('noop'),
      meter.createHistogram('noop'),
      meter.createGauge('noop'),
      meter.createObservableCounter('noop'),
      meter.createObservableUpDownCounter('noop'),
      meter.createObservableGauge('noop'),
    ]);
  }

  /**
   * Checks now: at boot (nestjs-otel loaded, yet no `MeterProvider` registered), and at each scrape (nestjs-otel
   * holds no-op instruments). Returns the names of the no-op instruments found, for tests and diagnostics.
   */
  check(): string[] {
    this.caches ??= nestjsOtelCaches();
    const caches = this.caches;
    if (caches.length === 0 || this.warnedNoops) return [];
    // With no provider registered, the API hands out its NoopMeterProvider (an SDK provider is never one).
    const noProvider = metrics.getMeterProvider().constructor?.name === 'NoopMeterProvider';
    const noops: string[] = [];
    for (const cache of caches) {
      for (const [name, instrument] of cache) if (this.isNoop(instrument)) noops.push(name);
    }
    if (noProvider && !this.warnedNoProvider) {
      this.warnedNoProvider = true;
      this.logger.warn(
        'nestjs-otel is loaded, but no OpenTelemetry MeterProvider is registered: the instruments nestjs-otel creates now are no-ops, ' +
          `and they stay no-ops once an SDK starts (nestjs-otel#529), so they never reach /metrics. ${FIX}`,
      );
    } else if (!noProvider && noops.length > 0 && !this.warnedNoops) {
      this.warnedNoops = true;
      this.logger.warn(
        `nestjs-otel created ${noops.map((n) => `"${n}"`).join(', ')} before the OpenTelemetry SDK started: they are no-ops for the life ` +
          `of the process and are missing from /metrics (nestjs-otel#529). ${FIX}`,
      );
    }
    return noops;
  }

  private isNoop(instrument: unknown): boolean {
    if (this.noopInstruments.has(instrument)) return true;
    // Another copy of @opentelemetry/api has other no-op singletons, of the same classes.
    const name = (instrument as { constructor?: { name?: string } } | null)?.constructor?.name ?? '';
    return /^Noop[A-Za-z]*Metric$/.test(name);
  }
}

/** nestjs-otel's instrument caches, of every copy the app loaded. */
function nestjsOtelCaches(): Array<Map<string, unknown>> {
  const caches: Array<Map<string, unknown>> = [];
  for (const [file, loaded] of Object.entries(require.cache)) {
    if (!NESTJS_OTEL_METER_DATA.test(file)) continue;
    const meterData = (loaded?.exports as { meterData?: unknown } | undefined)?.meterData;
    if (meterData instanceof Map) caches.push(meterData as Map<string, unknown>);
  }
  return caches;
}
