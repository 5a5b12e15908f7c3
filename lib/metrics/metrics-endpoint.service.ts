import { Inject, Injectable, Logger } from '@nestjs/common';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedObservabilityOptions } from '../observability-options.interface';
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
 * `Accept`, rendering, and a failing collector turned into a logged 500. The Nest controller (app port)
 * and the management server are thin adapters over it, so both ports answer the same.
 */
@Injectable()
export class MetricsEndpoint {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly auth: MetricsAuthChecker | null;

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
      return { status: 200, headers: { 'Content-Type': CONTENT_TYPES[format] }, body: await this.metrics.renderPieces(format) };
    } catch (error) {
      // A failing custom collect() must not take the endpoint down silently.
      this.logger.error(`Rendering /metrics failed: ${(error as Error)?.stack ?? String(error)}`);
      return {
        status: 500,
        headers: { 'Content-Type': 'text/plain; charset=utf-8' },
        body: `# metrics collection failed: ${String((error as Error)?.message ?? error)}\n`,
      };
    }
  }
}

/** Bytes of an endpoint body (what `Content-Length` says). */
export function byteLength(body: string | readonly Buffer[]): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  let length = 0;
  for (const piece of body) length += piece.length;
  return length;
}
