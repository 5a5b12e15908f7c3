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
  return `${PROTOCOLS[protocol].label} at ${redactUrlCredentials(otlpUrl(signal, protocol, url))}`;
}

/** The URL an OTLP/HTTP exporter posts to, as the exporter works it out (credentials not masked). */
export function otlpUrl(signal: 'traces' | 'metrics', protocol: OtlpProtocol, url?: string): string {
  const env = process.env;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  const grpc = protocol === 'grpc';
  return (
    url ??
    (env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`]?.trim() ||
      (base ? (grpc ? base : `${base.replace(/\/$/, '')}/v1/${signal}`) : grpc ? 'http://localhost:4317' : `http://localhost:4318/v1/${signal}`))
  );
}

/**
 * `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_<SIGNAL>_HEADERS` (`key=value,…`, values
 * URL-decoded; the signal's win), as the OTLP exporters read them.
 */
export function otlpHeaders(signal: 'traces' | 'metrics'): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const raw of [process.env.OTEL_EXPORTER_OTLP_HEADERS, process.env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_HEADERS`]]) {
    for (const pair of (raw ?? '').split(',')) {
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const key = pair.slice(0, at).trim();
      const value = pair.slice(at + 1).trim();
      try {
        if (key) headers[decodeURIComponent(key)] = decodeURIComponent(value);
      } catch {
        diag.warn(`OTLP header "${key}" has a malformed value; it is not sent.`);
      }
    }
  }
  return headers;
}

/** `OTEL_EXPORTER_OTLP_<SIGNAL>_TIMEOUT`, else `OTEL_EXPORTER_OTLP_TIMEOUT`, else 10 s. */
export function otlpTimeoutMillis(signal: 'traces' | 'metrics'): number {
  for (const name of [`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_TIMEOUT`, 'OTEL_EXPORTER_OTLP_TIMEOUT']) {
    const raw = process.env[name]?.trim();
    const value = raw ? Number(raw) : NaN;
    if (Number.isFinite(value) && value > 0) return value;
  }
  return 10_000;
}

/** `OTEL_EXPORTER_OTLP_<SIGNAL>_COMPRESSION`, else `OTEL_EXPORTER_OTLP_COMPRESSION`: `'gzip'` or `'none'`. */
export function otlpCompression(signal: 'traces' | 'metrics'): 'gzip' | 'none' {
  const raw = (process.env[`OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_COMPRESSION`] ?? process.env.OTEL_EXPORTER_OTLP_COMPRESSION ?? '').trim().toLowerCase();
  return raw === 'gzip' ? 'gzip' : 'none';
}

/** The TLS variables of the OTLP exporters (certificates, client key): set, they keep the SDK's exporter. */
export function otlpTlsVariables(signal: 'traces' | 'metrics'): string[] {
  const names = ['CERTIFICATE', 'CLIENT_KEY', 'CLIENT_CERTIFICATE'].flatMap((n) => [`OTEL_EXPORTER_OTLP_${n}`, `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_${n}`]);
  return names.filter((name) => process.env[name]?.trim());
}
