import { createHash, timingSafeEqual } from 'node:crypto';
import type { ResolvedMetricsAuth } from './metrics-options.interface';

/**
 * Checks the `Authorization` header of a scrape against `metrics.auth`: `Bearer <token>` (Prometheus'
 * `authorization`) or `Basic <base64(user:password)>` (`basic_auth`).
 *
 * Both sides are hashed (SHA-256) before `timingSafeEqual`, so the comparison takes the same time
 * whatever the presented value, and its length leaks nothing either.
 */
export class MetricsAuthChecker {
  /** The `WWW-Authenticate` challenge of a 401. */
  readonly challenge: string;
  private readonly scheme: 'bearer' | 'basic';
  private readonly expected: Buffer;

  constructor(auth: ResolvedMetricsAuth) {
    this.scheme = auth.scheme;
    this.expected = digest(auth.scheme === 'bearer' ? auth.bearerToken : `${auth.username}:${auth.password}`);
    this.challenge = auth.scheme === 'bearer' ? 'Bearer realm="metrics"' : 'Basic realm="metrics", charset="UTF-8"';
  }

  /** Whether the header carries the configured credentials. */
  accepts(header: string | string[] | undefined): boolean {
    if (typeof header !== 'string') return false;
    const space = header.indexOf(' ');
    if (space <= 0 || header.slice(0, space).toLowerCase() !== this.scheme) return false;
    const credentials = header.slice(space + 1).trim();
    const presented = this.scheme === 'basic' ? Buffer.from(credentials, 'base64').toString('utf8') : credentials;
    return timingSafeEqual(digest(presented), this.expected);
  }
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
