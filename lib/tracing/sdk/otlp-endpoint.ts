import { diag } from '@opentelemetry/api';
import { redactUrlCredentials } from './export-failure.reporter';

/** The OTLP transport an exporter uses. */
export type OtlpProtocol = 'http/protobuf' | 'http/json' | 'grpc';

/** Per-protocol package names of the OTLP exporters that sdk-node brings, and how the log names them. */
const PROTOCOLS: Readonly<Record<OtlpProtocol, { traces: string; metrics: string; label: string }>> = {
  'http/protobuf': { traces: '@opentelemetry/exporter-trace-otlp-proto', metrics: '@opentelemetry/exporter-metrics-otlp-proto', label: 'OTLP/HTTP protobuf' },
  'http/json': { traces: '@opentelemetry/exporter-trace-otlp-http', metrics: '@opentelemetry/exporter-metrics-otlp-http', label: 'OTLP/HTTP JSON' },
  grpc: { traces: '@opentelemetry/exporter-trace-otlp-grpc', metrics: '@opentelemetry/exporter-metrics-otlp-grpc', label: 'OTLP/gRPC' },
};

/**
 * The protocol for a signal: the given one, else `OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL`, else
 * `OTEL_EXPORTER_OTLP_PROTOCOL`, else `http/protobuf`.
 */
export function otlpProtocol(signal: 'traces' | 'metrics', given?: string): OtlpProtocol {
  const env = process.env;
  const raw = (given ?? env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_PROTOCOL`] ?? env.OTEL_EXPORTER_OTLP_PROTOCOL ?? '').trim() || 'http/protobuf';
  if (raw in PROTOCOLS) return raw as OtlpProtocol;
  diag.warn(`Unsupported OTLP ${signal} protocol "${raw}"; using http/protobuf.`);
  return 'http/protobuf';
}

/** The package of the OTLP exporter for this signal and protocol. */
export function otlpExporterPackage(signal: 'traces' | 'metrics', protocol: OtlpProtocol): string {
  return PROTOCOLS[protocol][signal];
}

/**
 * Where the exporter posts, as the exporter itself works it out: the given URL, else
 * `OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT` as is, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/<signal>`
 * (HTTP), else the local default. Credentials in the URL are masked: this is for the log.
 */
export function otlpDestination(signal: 'traces' | 'metrics', protocol: OtlpProtocol, url?: string): string {
  const env = process.env;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const grpc = protocol === 'grpc';
  const where =
    url ??
    (env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`]?.trim() ||
      (base ? (grpc ? base : `${base.replace(/\/$/, '')}/v1/${signal}`) : grpc ? 'http://localhost:4317' : `http://localhost:4318/v1/${signal}`));
  return `${PROTOCOLS[protocol].label} at ${redactUrlCredentials(where)}`;
}
