import { createRequire } from 'node:module';

type SdkMetrics = typeof import('@opentelemetry/sdk-metrics');
type ExporterPrometheus = typeof import('@opentelemetry/exporter-prometheus');

/**
 * Loads an OpenTelemetry SDK package on first use, never at import time: `@opentelemetry/sdk-node` is an
 * optional peer, and it is what brings `@opentelemetry/sdk-metrics` and `@opentelemetry/exporter-prometheus`.
 * The app's own copy wins (it may have installed them directly); else the copy next to sdk-node is used.
 */
function loadThroughSdkNode<T>(name: string): T {
  try {
    return require(name) as T;
  } catch (direct) {
    let sdkNode: string;
    try {
      sdkNode = require.resolve('@opentelemetry/sdk-node');
    } catch {
      throw new Error(
        `nestjs-observability: OpenTelemetry-API metrics need "${name}", which "@opentelemetry/sdk-node" brings. ` +
          `Install "@opentelemetry/sdk-node" (or "${name}"). (${(direct as Error).message})`,
      );
    }
    return createRequire(sdkNode)(name) as T;
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
