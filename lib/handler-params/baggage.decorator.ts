import { createParamDecorator } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import { baggageEntries, baggageEntry } from '../tracing/baggage-entries';

/**
 * Parameter decorator: a W3C baggage entry of the call (`string | undefined`), or with no key every entry
 * (`Record<string, string>`). For an HTTP handler the baggage is the request's `baggage` header, as the
 * global propagator (W3C baggage, the SDK's default) read it, plus what the app added with
 * `TracingService.withBaggage()`. The values come from the caller: treat them as untrusted input.
 *
 * @example
 * @Get()
 * list(@Baggage('tenant.id') tenant?: string) { ... }
 *
 * @example
 * @Get()
 * list(@Baggage() baggage: Record<string, string>) { ... }
 */
// Typed by hand: the inferred type names Nest 12's ParameterDecoratorOptions, which Nest 11 lacks.
export const Baggage: (key?: string) => ParameterDecorator = createParamDecorator((key: string | undefined, _ctx): string | Record<string, string> | undefined =>
  key === undefined ? baggageEntries(context.active()) : baggageEntry(context.active(), key),
);
