import { Injectable, Logger } from '@nestjs/common';
import { redactSecrets } from '../redaction/secret-redaction';

/** One decorator callback of one method: `@Traced({ onResult })` on `OrdersService.create`. */
export interface CallbackSite {
  readonly labels: Readonly<{ decorator: string; callback: string; class: string; method: string }>;
  failures: number;
}

/**
 * Counts the decorator callbacks (`attributes`, `onResult`, `labels`) that threw. A throwing callback never
 * changes the method's result: the call goes on, the failure is counted here (the metrics part serves it as
 * `observability_instrumentation_callback_errors_total`) and said once per callback in the log.
 * One per module instance; its series are bounded by the decorated methods.
 */
@Injectable()
export class InstrumentationCallbackFailures {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly sites: CallbackSite[] = [];

  /** The site of a callback, made once when the method is instrumented. */
  site(decorator: string, callback: string, className: string, methodName: string): CallbackSite {
    const site: CallbackSite = { labels: { decorator, callback, class: className, method: methodName }, failures: 0 };
    this.sites.push(site);
    return site;
  }

  /** Counts a failure of `site`, and says the first one in the log. */
  record(site: CallbackSite, error: unknown): void {
    site.failures++;
    if (site.failures !== 1) return;
    const { decorator, callback, class: className, method } = site.labels;
    this.logger.warn(
      `@${decorator}() on ${className}.${method}: its ${callback} callback threw (${describe(error)}). The call went on unchanged; ` +
        `further failures are counted in observability_instrumentation_callback_errors_total.`,
    );
  }

  /** The samples of the failure counter, one per callback that has failed. */
  samples(): Array<{ labels: Record<string, string>; value: number }> {
    return this.sites.filter((s) => s.failures > 0).map((s) => ({ labels: { ...s.labels }, value: s.failures }));
  }
}

function describe(error: unknown): string {
  try {
    return redactSecrets(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
  } catch {
    return 'an unprintable value';
  }
}
