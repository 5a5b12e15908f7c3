/**
 * Preload entry: starts the OpenTelemetry SDK from `OTEL_*` variables before the app's code runs.
 *
 * @example
 * node --require nestjs-observability/register dist/main.js
 * node --import nestjs-observability/register dist/main.js
 */
import { startObservabilitySdk } from './tracing/sdk/observability-sdk';

startObservabilitySdk();
