import { diag } from '@opentelemetry/api';
import type { SdkPackages } from './sdk-packages';

/**
 * The standard `OTEL_*` variables that NodeSDK reads, read here without loading NodeSDK:
 * https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
 */

/** A non-negative number from the environment, or `fallback` when unset, empty or invalid. */
export function numberFromEnv(name: string, fallback: number): number {
  const value = optionalNumberFromEnv(name);
  return value ?? fallback;
}

/** A non-negative number from the environment, or `undefined`. */
export function optionalNumberFromEnv(name: string): number | undefined {
  const raw = process.env[name]?.trim();
  const value = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** A comma-separated list from the environment, trimmed, lower-case, or `undefined` when unset or empty. */
export function listFromEnv(name: string): string[] | undefined {
  const list = (process.env[name] ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  return list.length ? list : undefined;
}

/** `true` for `OTEL_SDK_DISABLED=true` (the spec's only true value, case-insensitive). */
export function sdkDisabledByEnv(): boolean {
  return process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true';
}

/** The sampler `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` name, as NodeSDK builds it; `undefined` when unset or unknown. */
export function samplerFromEnv(packages: SdkPackages): unknown {
  const name = process.env.OTEL_TRACES_SAMPLER?.trim();
  if (!name) return undefined;
  const t = packages.trace;
  const ratio = (): number => {
    const value = optionalNumberFromEnv('OTEL_TRACES_SAMPLER_ARG');
    if (value === undefined || value > 1) {
      diag.error(`OTEL_TRACES_SAMPLER_ARG="${process.env.OTEL_TRACES_SAMPLER_ARG ?? ''}" is not a ratio in [0..1]; using 1.`);
      return 1;
    }
    return value;
  };
  switch (name) {
    case 'always_on':
      return new t.AlwaysOnSampler();
    case 'always_off':
      return new t.AlwaysOffSampler();
    case 'parentbased_always_on':
      return new t.ParentBasedSampler({ root: new t.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new t.ParentBasedSampler({ root: new t.AlwaysOffSampler() });
    case 'traceidratio':
      return new t.TraceIdRatioBasedSampler(ratio());
    case 'parentbased_traceidratio':
      return new t.ParentBasedSampler({ root: new t.TraceIdRatioBasedSampler(ratio()) });
    default:
      diag.error(`Unknown OTEL_TRACES_SAMPLER value "${name}"; using the default (parentbased_always_on).`);
      return undefined;
  }
}

/** Span limits from `OTEL_SPAN_*_LIMIT` / `OTEL_ATTRIBUTE_*_LIMIT`, as NodeSDK reads them. */
export function spanLimitsFromEnv(): Record<string, number | undefined> {
  const n = optionalNumberFromEnv;
  return {
    attributeCountLimit: n('OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT') ?? n('OTEL_ATTRIBUTE_COUNT_LIMIT'),
    attributeValueLengthLimit: n('OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT') ?? n('OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT'),
    eventCountLimit: n('OTEL_SPAN_EVENT_COUNT_LIMIT'),
    linkCountLimit: n('OTEL_SPAN_LINK_COUNT_LIMIT'),
    attributePerEventCountLimit: n('OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT') ?? n('OTEL_SPAN_ATTRIBUTE_PER_EVENT_COUNT_LIMIT'),
    attributePerLinkCountLimit: n('OTEL_LINK_ATTRIBUTE_COUNT_LIMIT') ?? n('OTEL_SPAN_ATTRIBUTE_PER_LINK_COUNT_LIMIT'),
  };
}

/**
 * The propagator `OTEL_PROPAGATORS` names (default W3C tracecontext + baggage), `null` for "none".
 * B3 is loaded only when named.
 */
export function propagatorFromEnv(packages: SdkPackages): unknown {
  const names = [...new Set(listFromEnv('OTEL_PROPAGATORS') ?? ['tracecontext', 'baggage'])];
  if (names.includes('none')) return null;
  const core = packages.core;
  const propagators: unknown[] = [];
  for (const name of names) {
    switch (name) {
      case 'tracecontext':
        propagators.push(new core.W3CTraceContextPropagator());
        break;
      case 'baggage':
        propagators.push(new core.W3CBaggagePropagator());
        break;
      case 'b3':
      case 'b3multi': {
        const b3 = packages.require('@opentelemetry/propagator-b3');
        propagators.push(new b3.B3Propagator(name === 'b3multi' ? { injectEncoding: b3.B3InjectEncoding.MULTI_HEADER } : {}));
        break;
      }
      default:
        diag.warn(`Propagator "${name}" named in OTEL_PROPAGATORS is unavailable (known: tracecontext, baggage, b3, b3multi, none).`);
    }
  }
  if (propagators.length === 0) return null;
  return propagators.length === 1 ? propagators[0] : new core.CompositePropagator({ propagators });
}

/**
 * The resource NodeSDK builds: SDK defaults, then the service instance, process, host and OS detectors
 * (or those `OTEL_NODE_RESOURCE_DETECTORS` names), then `OTEL_RESOURCE_ATTRIBUTES` / `OTEL_SERVICE_NAME`;
 * then the attributes given in code, which win.
 */
export function createResource(packages: SdkPackages, attributes: Record<string, string>): unknown {
  const r = packages.resources;
  const all: Record<string, unknown> = {
    serviceinstance: r.serviceInstanceIdDetector,
    process: r.processDetector,
    host: r.hostDetector,
    os: r.osDetector,
    env: r.envDetector,
  };
  const names = listFromEnv('OTEL_NODE_RESOURCE_DETECTORS') ?? ['all'];
  const detectors = names.includes('all')
    ? Object.values(all)
    : names.includes('none')
      ? [r.envDetector]
      : [...names.filter((n) => n !== 'env').map((n) => all[n] ?? (diag.warn(`Unknown resource detector "${n}" in OTEL_NODE_RESOURCE_DETECTORS.`), undefined)), r.envDetector].filter(Boolean);
  let resource = r.defaultResource().merge(r.detectResources({ detectors }));
  if (Object.keys(attributes).length) resource = resource.merge(r.resourceFromAttributes(attributes));
  return resource;
}
