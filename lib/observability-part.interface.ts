import { InjectionToken, Provider } from '@nestjs/common';

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
  /** Tokens the module exports for the app to inject. */
  readonly exports?: InjectionToken[];
}
