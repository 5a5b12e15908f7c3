import { Inject, Injectable, Logger } from '@nestjs/common';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
import { redactSecrets } from '../redaction/secret-redaction';
import { MetricCollectionError } from './metric-collection.error';
import { MetricsAuthChecker } from './metrics-auth.checker';
import { CONTENT_TYPES, negotiateFormat } from './metrics.renderer';
import { MetricsService } from './metrics.service';

/** The answer to one scrape, written as is by whichever server received the request. */
export interface EndpointResponse {
  status: number;
  headers: Record<string, string>;
  /** The text, or (a 200) UTF-8 pieces to write one by one: see `MetricsService.renderPieces()`. */
  body: string | readonly Buffer[];
}

/** Request headers as Node (and Fastify's `request.headers`) give them: lower-case names. */
export type RequestHeaders = Record<string, string | string[] | undefined>;

/**
 * What `/metrics` answers, independent of the server: `metrics.auth`, OpenMetrics negotiation from
 * `Accept`, rendering, and a failing collector turned into a 500 that is logged once. The Nest controller (app port)
 * and the management server are thin adapters over it, so both ports answer the same.
 */
@Injectable()
export class MetricsEndpoint {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly auth: MetricsAuthChecker | null;
  /** The failure last logged (its metric, or its reason), until a render succeeds again: each is logged once, not per scrape. */
  private loggedFailure: string | null = null;

  constructor(
    private readonly metrics: MetricsService,
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) options: ResolvedObservabilityOptions,
  ) {
    this.auth = options.metrics.auth ? new MetricsAuthChecker(options.metrics.auth) : null;
  }

  /** Answers one scrape from its request headers. */
  async respond(headers: RequestHeaders): Promise<EndpointResponse> {
    if (this.auth && !this.auth.accepts(headers.authorization)) {
      return {
        status: 401,
        headers: { 'Content-Type': 'text/plain; charset=utf-8', 'WWW-Authenticate': this.auth.challenge },
        body: 'Unauthorized\n',
      };
    }
    const format = negotiateFormat(headers.accept);
    try {
      const body = await this.metrics.renderPieces(format);
      this.recovered();
      return { status: 200, headers: { 'Content-Type': CONTENT_TYPES[format] }, body };
    } catch (error) {
      return this.failed(error);
    }
  }

  /**
   * A failing collector gives a 500: Prometheus then marks the target down (`up` 0), where a 200
   * without the failing metric would make its series vanish silently. The reason, its credentials
   * removed (a collect() quoting a connection string), is in the body and logged once per failure:
   * a scraper every 15 s does not fill the log with the same stack, and the recovery is logged too.
   */
  private failed(error: unknown): EndpointResponse {
    const reason = describeFailure(error);
    // Keyed by the metric, so a reason that changes each time (a timestamp in it) is still said once.
    const key = error instanceof MetricCollectionError ? `metric ${error.metricName}` : reason;
    if (key !== this.loggedFailure) {
      this.loggedFailure = key;
      this.logger.error(
        `Rendering /metrics failed, so scrapes answer 500 until it recovers (logged once): ${reason}` +
          `${stackOf(error)}`,
      );
    }
    return {
      status: 500,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
      body: `# metrics collection failed: ${reason}\n`,
    };
  }

  private recovered(): void {
    if (this.loggedFailure === null) return;
    this.loggedFailure = null;
    this.logger.log('Rendering /metrics works again.');
  }
}

/** One line that says what failed, without credentials. */
function describeFailure(error: unknown): string {
  const cause = error instanceof MetricCollectionError ? error.cause : error;
  const where = error instanceof MetricCollectionError ? `metric "${error.metricName}": ` : '';
  let message: string;
  try {
    message = cause instanceof Error ? `${cause.message || cause.name}` : String(cause);
  } catch {
    message = 'a thrown value that cannot be printed';
  }
  return redactSecrets(`${where}${message}`.replace(/\s*\n\s*/g, ' '));
}

/** The stack of the error a collect() threw, without credentials, for the one log line. */
function stackOf(error: unknown): string {
  const cause = error instanceof MetricCollectionError ? error.cause : error;
  const stack = cause instanceof Error && typeof cause.stack === 'string' ? cause.stack : '';
  const frames = stack.split('\n').filter((line) => /^\s+at /.test(line));
  return frames.length > 0 ? `\n${redactSecrets(frames.join('\n'))}` : '';
}

/** Bytes of an endpoint body (what `Content-Length` says). */
export function byteLength(body: string | readonly Buffer[]): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  let length = 0;
  for (const piece of body) length += piece.length;
  return length;
}
