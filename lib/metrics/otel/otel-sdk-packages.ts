import { SdkPackages } from '../../tracing/sdk/sdk-packages';

type SdkMetrics = typeof import('@opentelemetry/sdk-metrics');
type ExporterPrometheus = typeof import('@opentelemetry/exporter-prometheus');

/**
 * Loads an OpenTelemetry SDK package on first use, never at import time: `@opentelemetry/sdk-node` is an
 * optional peer, and it is what brings `@opentelemetry/sdk-metrics` and `@opentelemetry/exporter-prometheus`.
 * The app's own copy wins (it may have installed them directly); else the copy sdk-node pins is used.
 */
function loadThroughSdkNode<T>(name: string): T {
  try {
    return require(name) as T;
  } catch (direct) {
    try {
      return new SdkPackages().require(name) as T;
    } catch {
      throw new Error(
        `nestjs-observability: OpenTelemetry-API metrics need "${name}", which "@opentelemetry/sdk-node" brings. ` +
          `Install "@opentelemetry/sdk-node" (or "${name}"). (${(direct as Error).message})`,
      );
    }
  }
}

/** `@opentelemetry/sdk-metrics`, resolved at call time. */
export function loadSdkMetrics(): SdkMetrics {
  return loadThroughSdkNode<SdkMetrics>('@opentelemetry/sdk-metrics');
}

/** `@opentelemetry/exporter-prometheus`, resolved at call time. */
export function loadExporterPrometheus(): ExporterPrometheus {
  return loadThroughSdkNode<ExporterPrometheus>('@opentelemetry/exporter-prometheus');
}
