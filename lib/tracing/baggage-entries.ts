import { Context, propagation } from '@opentelemetry/api';

/** One entry of the W3C baggage of `ctx`, or `undefined`. */
export function baggageEntry(ctx: Context, key: string): string | undefined {
  return propagation.getBaggage(ctx)?.getEntry(key)?.value;
}

/** Every entry of the W3C baggage of `ctx`, as name to value (metadata dropped). */
export function baggageEntries(ctx: Context): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const [name, entry] of propagation.getBaggage(ctx)?.getAllEntries() ?? []) entries[name] = entry.value;
  return entries;
}

/** `ctx` with `entries` added to (or replacing entries of) its baggage. */
export function withBaggageEntries(ctx: Context, entries: Record<string, string>): Context {
  let baggage = propagation.getBaggage(ctx) ?? propagation.createBaggage();
  for (const [name, value] of Object.entries(entries)) baggage = baggage.setEntry(name, { value: String(value) });
  return propagation.setBaggage(ctx, baggage);
}
