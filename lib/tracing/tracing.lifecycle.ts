import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy } from '@nestjs/common';
import { trace } from '@opentelemetry/api';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { CallbackMetric } from '../metrics/callback.metric';
import { MetricsService } from '../metrics/metrics.service';
import { OutgoingPropagationSubscriber } from './outgoing-propagation.subscriber';
import { getObservabilitySdk } from './sdk/observability-sdk';

/**
 * The tracing part's process-facing duties: outgoing propagation on and off with the app, the span
 * counters as metrics, one log line when no SDK is there, and flushing the SDK when the app stops
 * (last, in `onApplicationShutdown`, after the HTTP server has drained).
 */
@Injectable()
export class TracingLifecycle implements OnApplicationBootstrap, OnApplicationShutdown, OnModuleDestroy {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly outgoing = new OutgoingPropagationSubscriber();
  private subscribed = false;

  constructor(
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions,
    metrics: MetricsService,
  ) {
    if (!options.tracing.enabled) return;
    // With the outgoing HTTP part on, it propagates its client spans' context itself.
    if (options.tracing.propagateOutgoing && !options.httpClient.enabled) {
      this.outgoing.subscribe();
      this.subscribed = true;
    }
    if (options.metrics.enabled) registerSpanMetrics(metrics);
  }

  onApplicationBootstrap(): void {
    if (!this.options.tracing.enabled) return;
    // Which path spans take, said once at boot (docs/tracing.md, "Which path ended spans take").
    if (this.options.tracing.tracerProvider) {
      this.logger.log('Traces go to the tracing.tracerProvider given, through its own span processors.');
      return;
    }
    const sdk = getObservabilitySdk();
    if (sdk) {
      this.logger.log(`Traces go to ${sdk.destination}, through ${sdk.exportPath}.`);
    } else if (!isNoopProvider()) {
      this.logger.log("Traces go to the app's own OpenTelemetry SDK, through its span processors and exporter.");
    } else {
      this.logger.warn(
        'No OpenTelemetry SDK is registered, so spans are not recorded (they start working as soon as one is). ' +
          'Call startObservabilitySdk() before NestFactory.create(), or preload nestjs-observability/register.',
      );
    }
  }

  async onApplicationShutdown(signal?: string): Promise<void> {
    const found = getObservabilitySdk();
    // Flushed when this app traces, or pushes its metrics through the SDK (its final push).
    const sdk = found && (this.options.tracing.enabled || (this.options.metrics.enabled && found.metricsDestination)) ? found : undefined;
    if (!sdk) return;
    // On a signal the process is going away: flush and stop. On app.close() alone, only flush.
    const flush = (signal ? sdk.shutdown() : sdk.forceFlush()).then(
      () => 'done' as const,
      (error: unknown) => void this.logger.warn(`Flushing spans failed: ${String(error)}`),
    );
    // Bounded here, at the call site, whatever the SDK's own export timeout: the grace period is finite.
    const budget = this.options.tracing.flushTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const outOfTime = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), budget);
      timer.unref();
    });
    const outcome = await Promise.race([flush, outOfTime]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      const pending = sdk.stats?.pending;
      this.logger.warn(
        `Flushing telemetry did not finish within tracing.flushTimeoutMs (${budget} ms): ` +
          `${typeof pending === 'number' ? pending : 'some'} span(s) not delivered to ${sdk.destination}. The shutdown goes on without them.`,
      );
    }
  }

  onModuleDestroy(): void {
    if (this.subscribed) this.outgoing.unsubscribe();
    this.subscribed = false;
  }
}

function registerSpanMetrics(metrics: MetricsService): void {
  const stat = (name: string, help: string, type: 'counter' | 'gauge', read: (s: NonNullable<ReturnType<typeof getObservabilitySdk>>['stats']) => number) => {
    metrics.registerCallbackMetric(
      new CallbackMetric(name, help, type, () => {
        const sdk = getObservabilitySdk();
        return sdk ? [{ labels: {}, value: read(sdk.stats) }] : [];
      }),
    );
  };
  stat('otel_sdk_spans_exported_total', 'Sampled spans the OTLP exporter delivered.', 'counter', (s) => s.exported);
  stat('otel_sdk_spans_export_failed_total', 'Sampled spans whose export failed (refused, timed out or rejected).', 'counter', (s) => s.failed);
  stat('otel_sdk_spans_dropped_total', 'Sampled spans dropped because the export queue was full.', 'counter', (s) => s.dropped);
  stat('otel_sdk_spans_pending', 'Sampled spans waiting for export, the batch in flight included.', 'gauge', (s) => s.pending);
}

function isNoopProvider(): boolean {
  const provider = trace.getTracerProvider() as { getDelegate?: () => object };
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  return delegate.constructor?.name === 'NoopTracerProvider';
}
