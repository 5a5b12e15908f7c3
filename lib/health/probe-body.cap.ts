import type { HealthCheckResult } from '@nestjs/terminus';

/** Longest `message` an indicator keeps once its probe's body is cut down, characters. */
const MAX_MESSAGE_CHARS = 200;

/** A probe body within the cap, and how big it was before (null when it fitted). */
export interface CappedBody<T> {
  body: T;
  originalBytes: number | null;
}

type Section = Record<string, Record<string, unknown>> | undefined;

/**
 * Keeps a probe body under `maxBytes` of UTF-8 JSON. One that fits is returned as is. A bigger one
 * keeps the overall status and, for each indicator, its status and its `message` (shortened to 200
 * characters), and drops the other details; if even that is too big, only the overall status stays.
 * The status code is the caller's and does not change.
 */
export function capProbeBody<T extends HealthCheckResult | { status: HealthCheckResult['status'] }>(body: T, maxBytes: number): CappedBody<T> {
  const originalBytes = Buffer.byteLength(JSON.stringify(body));
  if (originalBytes <= maxBytes) return { body, originalBytes: null };
  const result = body as { info?: Section; error?: Section; details?: Section };
  const compact = {
    status: body.status,
    ...(result.info ? { info: shorten(result.info) } : {}),
    ...(result.error ? { error: shorten(result.error) } : {}),
    ...(result.details ? { details: shorten(result.details) } : {}),
  } as unknown as T;
  if (Buffer.byteLength(JSON.stringify(compact)) <= maxBytes) return { body: compact, originalBytes };
  return { body: { status: body.status } as T, originalBytes };
}

function shorten(section: Section): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, entry] of Object.entries(section ?? {})) {
    const message = entry?.message;
    out[name] = {
      status: entry?.status,
      ...(typeof message === 'string' ? { message: message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS)}…` : message } : {}),
      detailsOmitted: true,
    };
  }
  return out;
}
