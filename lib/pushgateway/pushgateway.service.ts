import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { MetricsService } from '../metrics/metrics.service';
import { ResolvedPushgatewayOptions } from './pushgateway-options.interface';

/**
 * Pushes this module's metrics (its Registry and the OpenTelemetry-API metrics, in the text format) to
 * the Pushgateway of `pushgateway`: every `intervalMs` while the app runs, and once more when it closes
 * (`onShutdown`), each request bounded by `timeoutMs`. A push replaces the group (PUT), so a metric that is
 * gone from the app is gone from the gateway too. A failure is logged once until a push succeeds again;
 * `push()` and `delete()` reject with it, so a batch job can decide.
 *
 * @example
 * const app = await NestFactory.createApplicationContext(AppModule);
 * await app.get(ImportJob).run();
 * await app.close(); // the final push
 *
 * @example
 * await app.get(PushgatewayService).delete(); // the job is retired: forget its group
 */
@Injectable()
export class PushgatewayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly options: ResolvedPushgatewayOptions;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  /** The request under way: pushes never overlap, and the final one waits for it. */
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly metrics: MetricsService,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions,
  ) {
    this.options = options.pushgateway;
  }

  /** Whether `pushgateway` is configured (and metrics are on). */
  get enabled(): boolean {
    return this.options.enabled;
  }

  onApplicationBootstrap(): void {
    if (!this.enabled || this.options.intervalMs === 0) return;
    this.timer = setInterval(() => void this.push().catch(() => undefined), this.options.intervalMs);
    // A batch job ends when its work is done, not when the next push is due.
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    if (!this.enabled || this.options.onShutdown === 'none') return;
    // Each request is bounded by timeoutMs, so the shutdown is too; a failure was logged already.
    await (this.options.onShutdown === 'push' ? this.push() : this.delete()).catch(() => undefined);
  }

  /** Pushes the current values now (after a push under way). Rejects if the Pushgateway refuses or cannot be reached. */
  push(): Promise<void> {
    return this.enqueue('push', async () => {
      const body = await this.metrics.render('prometheus');
      return { method: 'PUT', body };
    });
  }

  /** Deletes this app's group from the Pushgateway: its metrics are no longer exposed there. */
  delete(): Promise<void> {
    return this.enqueue('delete', async () => ({ method: 'DELETE', body: undefined }));
  }

  private enqueue(what: 'push' | 'delete', prepare: () => Promise<{ method: string; body: string | undefined }>): Promise<void> {
    if (!this.enabled) return Promise.reject(new Error('The Pushgateway is not configured: set the "pushgateway" option of ObservabilityModule.'));
    const run = this.inFlight.then(async () => {
      const { method, body } = await prepare();
      await this.send(what, method, body);
    });
    this.inFlight = run.catch(() => undefined);
    return run;
  }

  private async send(what: 'push' | 'delete', method: string, body: string | undefined): Promise<void> {
    const { groupUrl, group, timeoutMs, headers } = this.options;
    try {
      const response = await fetch(groupUrl, {
        method,
        body,
        headers: { ...(body === undefined ? {} : { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }), ...headers },
        signal: AbortSignal.timeout(timeoutMs),
      });
      const answer = await response.text();
      if (!response.ok) throw new Error(`the Pushgateway answered ${response.status}${answer ? `: ${answer.trim().slice(0, 300)}` : ''}`);
      if (this.failing) this.logger.log(`Pushgateway: ${what} of group ${group} works again.`);
      this.failing = false;
    } catch (error) {
      const reason = (error as { name?: unknown } | null)?.name === 'TimeoutError' ? `no answer within pushgateway.timeoutMs (${timeoutMs} ms)` : errorText(error);
      if (!this.failing) this.logger.warn(`Pushgateway: ${what} of group ${group} to ${new URL(groupUrl).origin} failed: ${reason}. Said once until it works again.`);
      this.failing = true;
      throw new Error(`Pushgateway ${what} failed: ${reason}`, { cause: error });
    }
  }
}

// Duck-typed: fetch()'s errors may come from another realm (a test runner's VM context).
function errorText(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  // fetch() says "fetch failed"; the reason (ECONNREFUSED…) is its cause.
  const { message, cause } = error as { message?: string; cause?: { code?: string; message?: string } };
  return cause?.code ?? cause?.message ?? message ?? String(error);
}
