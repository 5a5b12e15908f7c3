/** What the reporter writes to: Nest's `Logger` by default. */
export interface ExportLogger {
  log(message: string): void;
  warn(message: string): void;
}

/**
 * Says when an exporter (spans or metrics) stops and starts delivering again: the first failure at
 * once with the endpoint and the reason, then at most one summary line per interval while failures go
 * on, and one line when an export succeeds again. Nothing is logged while exports succeed.
 *
 * @example
 * const reporter = new ExportFailureReporter('spans', 'http://collector:4318/v1/traces', logger);
 * reporter.failure(error, 512); // logs at once
 * reporter.success(); // logs that export works again
 */
export class ExportFailureReporter {
  private failing = false;
  private failedExports = 0;
  private lostItems = 0;
  private lastReason = '';
  private lastLogAt = 0;
  private failingSince = 0;
  private totalFailedExports = 0;
  private totalLostItems = 0;

  constructor(
    private readonly what: 'spans' | 'metrics',
    private readonly endpoint: string,
    private readonly logger: () => ExportLogger,
    private readonly summaryIntervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a failed export of `items` spans or metric points. */
  failure(error: unknown, items: number): void {
    const reason = describeError(error);
    const now = this.now();
    this.totalFailedExports++;
    this.totalLostItems += items;
    if (!this.failing) {
      this.failing = true;
      this.failingSince = now;
      this.lastLogAt = now;
      this.logger().warn(
        `Exporting ${this.what} to ${this.endpoint} failed: ${reason}. ` +
          `The ${this.what} of failed exports are lost (and counted); a summary follows at most once a minute until an export succeeds again.`,
      );
      return;
    }
    this.failedExports++;
    this.lostItems += items;
    this.lastReason = reason;
    if (now - this.lastLogAt >= this.summaryIntervalMs) this.summarise(now);
  }

  /** Records a successful export; says so once if exports were failing. */
  success(): void {
    if (!this.failing) return;
    const seconds = Math.round((this.now() - this.failingSince) / 1000);
    this.logger().log(
      `Exporting ${this.what} to ${this.endpoint} works again, after ${this.totalFailedExports} failed export(s) over ${seconds} s ` +
        `(${this.totalLostItems} ${this.what} lost).`,
    );
    this.failing = false;
    this.failedExports = this.lostItems = this.totalFailedExports = this.totalLostItems = 0;
  }

  private summarise(now: number): void {
    const seconds = Math.round((now - this.lastLogAt) / 1000);
    this.logger().warn(
      `Exporting ${this.what} to ${this.endpoint} still fails: ${this.failedExports} failed export(s) ` +
        `(${this.lostItems} ${this.what} lost) in the last ${seconds} s; last error: ${this.lastReason}.`,
    );
    this.failedExports = this.lostItems = 0;
    this.lastLogAt = now;
  }
}

/** The error's message (and code), without credentials that a URL in it might carry. */
function describeError(error: unknown): string {
  if (error === undefined || error === null) return 'unknown error';
  const e = error as { message?: unknown; code?: unknown; cause?: { message?: unknown; code?: unknown } };
  let text = typeof e.message === 'string' && e.message ? e.message : String(error);
  const code = e.code ?? e.cause?.code;
  if (typeof code === 'string' && !text.includes(code)) text += ` (${code})`;
  else if (typeof code === 'number') text += ` (HTTP ${code})`; // OTLPExporterError carries the status
  else if (typeof e.cause?.message === 'string' && !text.includes(e.cause.message)) text += ` (${e.cause.message})`;
  return redactUrlCredentials(text);
}

/** `http://user:secret@host` → `http://***@host`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, '$1***@');
}
