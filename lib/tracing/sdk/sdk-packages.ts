import { createRequire } from 'node:module';
import { resolvePeer } from '../../peer-dependencies.check';

/**
 * Loads the OpenTelemetry SDK packages that `@opentelemetry/sdk-node` depends on, from sdk-node's own
 * location, so that their versions are the ones sdk-node pins, without loading sdk-node itself (its
 * entry point requires every exporter, instrumentation and the logs SDK: ~1,900 modules).
 * Only what is asked for is loaded, when it is asked for.
 */
export class SdkPackages {
  private readonly load: NodeRequire;

  constructor() {
    // Resolving a path loads nothing; the require is anchored at sdk-node's entry file.
    this.load = createRequire(resolvePeer('@opentelemetry/sdk-node'));
  }

  /** `@opentelemetry/sdk-trace`: TracerProvider, BatchSpanProcessor, samplers. */
  get trace(): any {
    return this.load('@opentelemetry/sdk-trace');
  }

  /** `@opentelemetry/resources`. */
  get resources(): any {
    return this.load('@opentelemetry/resources');
  }

  /** `@opentelemetry/core`: W3C propagators. */
  get core(): any {
    return this.load('@opentelemetry/core');
  }

  /** `@opentelemetry/context-async-hooks`: the AsyncLocalStorage context manager. */
  get contextAsyncHooks(): any {
    return this.load('@opentelemetry/context-async-hooks');
  }

  /** `@opentelemetry/sdk-metrics`: MeterProvider and readers. */
  get metrics(): any {
    return this.load('@opentelemetry/sdk-metrics');
  }

  /** Any other package sdk-node brings (an exporter for the chosen protocol, propagator-b3, instrumentation). */
  require(name: string): any {
    return this.load(name);
  }
}
