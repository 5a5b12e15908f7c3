import { spanLimitsFromEnv } from '../sdk/sdk-env';

/** The specification's span limits, with the SDK's defaults (128 of each, values of any length). */
export interface SpanLimits {
  attributeCountLimit: number;
  attributeValueLengthLimit: number;
  eventCountLimit: number;
  linkCountLimit: number;
  attributePerEventCountLimit: number;
  attributePerLinkCountLimit: number;
}

/**
 * Span limits from `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT` (fallback `OTEL_ATTRIBUTE_COUNT_LIMIT`),
 * `OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT` (fallback `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`),
 * `OTEL_SPAN_EVENT_COUNT_LIMIT`, `OTEL_SPAN_LINK_COUNT_LIMIT`, `OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT` and
 * `OTEL_LINK_ATTRIBUTE_COUNT_LIMIT`, with the defaults the SDK's `TracerProvider` applies.
 * A value length limit of 0 or less means none (the SDK warns and ignores it).
 *
 * @example
 * const limits = spanLimitsFrom({ attributeCountLimit: 16 });
 */
export function spanLimitsFrom(given: Partial<Record<keyof SpanLimits, number | undefined>> = readSpanLimitsFromEnv()): SpanLimits {
  const length = given.attributeValueLengthLimit;
  return {
    attributeCountLimit: given.attributeCountLimit ?? 128,
    attributeValueLengthLimit: length === undefined || length <= 0 ? Infinity : length,
    eventCountLimit: given.eventCountLimit ?? 128,
    linkCountLimit: given.linkCountLimit ?? 128,
    attributePerEventCountLimit: given.attributePerEventCountLimit ?? 128,
    attributePerLinkCountLimit: given.attributePerLinkCountLimit ?? 128,
  };
}

/** The variables only (unset ones `undefined`): the SDK wiring's own reader, so that both span paths read the same. */
export function readSpanLimitsFromEnv(): Partial<SpanLimits> {
  return spanLimitsFromEnv() as Partial<SpanLimits>;
}
