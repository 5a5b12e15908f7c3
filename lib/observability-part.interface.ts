import { InjectionToken, Provider } from '@nestjs/common';
import { OBSERVABILITY_RESOLVED_OPTIONS } from './observability.constants';
import { ResolvedObservabilityOptions } from './observability-options.interface';

/**
 * What one part of the module (websockets, messaging, GraphQL, ...) adds to `ObservabilityModule`.
 * The root module only composes parts: each part keeps its wiring in `lib/<part>/<part>.part.ts`.
 */
export interface ObservabilityPart {
  /** The part's providers. They may inject `OBSERVABILITY_RESOLVED_OPTIONS`, `MetricsService`, `OBSERVABILITY_TRACER`. */
  readonly providers: Provider[];
  /**
   * Tokens of providers that resolve to a `MethodInstrumenter`, or to `null` when the part is switched off
   * by the options. The explorer uses the non-null ones.
   */
  readonly instrumenters?: InjectionToken[];
  /**
   * Tokens of providers that resolve to an `HttpExchangeListener`, or to `null` when off. The adapter hook
   * calls them in the order of the parts: tracing comes before metrics, which reads the request's span.
   */
  readonly exchangeListeners?: InjectionToken[];
  /** Tokens the module exports for the app to inject. */
  readonly exports?: InjectionToken[];
}

/**
 * A provider for `token` that resolves to the `useExisting` provider while `active(options)` holds, and to
 * `null` otherwise: how a part contributes an instrumenter or a listener that its options may switch off.
 */
export function activeWhen(token: InjectionToken, useExisting: InjectionToken, active: (options: ResolvedObservabilityOptions) => boolean): Provider {
  return {
    provide: token,
    inject: [OBSERVABILITY_RESOLVED_OPTIONS, useExisting],
    useFactory: (options: ResolvedObservabilityOptions, instance: unknown) => (active(options) ? instance : null),
  };
}
