/**
 * A local OTLP/HTTP trace and metrics receiver for tests.
 *
 * It listens on 127.0.0.1 (a free port picked by the OS) and decodes `POST /v1/traces` bodies with the
 * official OTLP protobuf schema (and `POST /v1/metrics` bodies likewise): the opentelemetry-proto `.proto` files (v1.4.0) that the npm package
 * `@elastic/mockotlpserver` ships under `opentelemetry/proto/`, loaded with protobufjs. No schema is
 * written by hand here.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { dirname, isAbsolute, join } from 'node:path';
import { gunzipSync, inflateSync } from 'node:zlib';
import * as protobuf from 'protobufjs';

/** One span as the receiver decoded it. */
export interface ReceivedSpan {
  /** Trace id, 32 lowercase hex characters. */
  traceId: string;
  /** Span id, 16 lowercase hex characters. */
  spanId: string;
  /** Parent span id in lowercase hex, `''` for a root span. */
  parentSpanId: string;
  name: string;
  /**
   * OTLP `Span.SpanKind` number: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer.
   * Note: this is the OTLP enum, one more than `@opentelemetry/api`'s `SpanKind` (see {@link OTLP_SPAN_KIND}).
   */
  kind: number;
  /** Start time in nanoseconds since the epoch. */
  startTimeUnixNano: bigint;
  /** End time in nanoseconds since the epoch. */
  endTimeUnixNano: bigint;
  /** Span attributes, AnyValue unwrapped to plain JS values (int64 as number). */
  attributes: Record<string, unknown>;
  /** OTLP `Status.StatusCode`: 0 unset, 1 ok, 2 error (same numbers as the API's `SpanStatusCode`). */
  status: { code: number; message?: string };
  events: Array<{ name: string; attributes: Record<string, unknown> }>;
  /** Attributes of the resource the span was sent with. */
  resource: Record<string, unknown>;
  /** Name of the instrumentation scope (the tracer name). */
  scope: string;
}

/** One metric data point as the receiver decoded it (number points carry `value`, histogram points the rest). */
export interface ReceivedMetricPoint {
  attributes: Record<string, unknown>;
  startTimeUnixNano: bigint;
  timeUnixNano: bigint;
  value?: number;
  count?: number;
  sum?: number;
  bucketCounts?: number[];
  explicitBounds?: number[];
}

/** One metric of one export request, as the receiver decoded it. */
export interface ReceivedMetric {
  name: string;
  description: string;
  unit: string;
  /** Which OTLP data field the metric had. */
  type: 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary';
  /** OTLP `AggregationTemporality` (1 delta, 2 cumulative), for sums and histograms. */
  aggregationTemporality?: number;
  isMonotonic?: boolean;
  points: ReceivedMetricPoint[];
  /** Attributes of the resource the metric was sent with. */
  resource: Record<string, unknown>;
  /** Name of the instrumentation scope (the meter name). */
  scope: string;
  /** Index of the export request it came in (0 for the first metrics request). */
  request: number;
}

/** What {@link startOtlpReceiver} does with each export request. */
export type OtlpReceiverMode = 'ok' | 'hang' | 'fail500' | 'fail503';

/** A running receiver. */
export interface OtlpReceiver {
  /** Full traces URL, `http://127.0.0.1:PORT/v1/traces` (an exporter's `url` option). */
  url: string;
  /** Full metrics URL, `http://127.0.0.1:PORT/v1/metrics`. */
  metricsUrl: string;
  /** Base URL, `http://127.0.0.1:PORT` (what `OTEL_EXPORTER_OTLP_ENDPOINT` takes). */
  endpoint: string;
  /**
   * Every span decoded so far, in arrival order. Spans are recorded whenever a body decodes, whatever
   * the mode answers (so in 'hang' and 'fail500' they show what the exporter tried to send).
   */
  spans: ReceivedSpan[];
  /** Every metric decoded so far from `POST /v1/metrics`, in arrival order (one entry per metric per request). */
  metrics: ReceivedMetric[];
  /** Number of metrics export requests decoded so far. */
  metricRequests: number;
  /** Resolves once at least `count` metrics export requests were decoded; rejects after `timeoutMs` (default 5000). */
  waitForMetricRequests(count: number, timeoutMs?: number): Promise<void>;
  /** Number of HTTP requests received (counted when their headers arrive, whatever the path or answer). */
  requests: number;
  /** The `Content-Type` header of each request, in order (`''` when absent). */
  contentTypes: string[];
  /** The `Content-Encoding` header of each request, in order (`''` when absent). */
  contentEncodings: string[];
  /** The headers of each request, in order. */
  headers: IncomingHttpHeaders[];
  /** The body of each `/v1/traces` request that decoded, inflated, in order. */
  traceBodies: Buffer[];
  /** Resolves with a copy of {@link spans} once at least `count` spans arrived; rejects after `timeoutMs` (default 5000). */
  waitForSpans(count: number, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** Resolves once at least `count` requests arrived (headers seen); rejects after `timeoutMs` (default 5000). */
  waitForRequests(count: number, timeoutMs?: number): Promise<void>;
  /** Changes how the following requests are answered (for example from 'fail500' to 'ok', to test recovery). */
  setMode(mode: OtlpReceiverMode): void;
  /** Stops listening and destroys every open socket, including requests left hanging. */
  close(): Promise<void>;
}

/** Options for {@link startOtlpReceiver}. */
export interface OtlpReceiverOptions {
  /**
   * - 'ok' (default): decode, record, answer 200 with an empty ExportTraceServiceResponse.
   * - 'hang': read and record the request but never answer it.
   * - 'fail500': read and record the request, answer 500.
   * - 'fail503': read and record the request, answer 503 with `Retry-After: 1` (retryable, per OTLP).
   */
  mode?: OtlpReceiverMode;
}

// ---------------------------------------------------------------------------------------------------------
// Schema: the official opentelemetry-proto files, as shipped by @elastic/mockotlpserver.

/** Folder that holds `opentelemetry/proto/...` (the proto import root). */
export const OTLP_PROTO_DIR = dirname(require.resolve('@elastic/mockotlpserver/package.json'));

const TRACE_SERVICE_PROTO = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';
const METRICS_SERVICE_PROTO = 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto';

function loadOtlpRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // The .proto files import each other by paths relative to the import root
  // ("opentelemetry/proto/common/v1/common.proto"), not to the importing file.
  root.resolvePath = (_origin: string, target: string) => (isAbsolute(target) ? target : join(OTLP_PROTO_DIR, target));
  root.loadSync([join(OTLP_PROTO_DIR, TRACE_SERVICE_PROTO), join(OTLP_PROTO_DIR, METRICS_SERVICE_PROTO)], { keepCase: false });
  root.resolveAll();
  return root;
}

const otlpRoot = loadOtlpRoot();
const ExportTraceServiceRequest = otlpRoot.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
const ExportTraceServiceResponse = otlpRoot.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');

const ExportMetricsServiceRequest = otlpRoot.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest');
const ExportMetricsServiceResponse = otlpRoot.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse');

/** OTLP `Span.SpanKind` values by name, read from the schema (e.g. `SPAN_KIND_SERVER` → 2). */
export const OTLP_SPAN_KIND: Readonly<Record<string, number>> = Object.freeze({
  ...otlpRoot.lookupEnum('opentelemetry.proto.trace.v1.Span.SpanKind').values,
});

/** OTLP `Status.StatusCode` values by name, read from the schema (e.g. `STATUS_CODE_ERROR` → 2). */
export const OTLP_STATUS_CODE: Readonly<Record<string, number>> = Object.freeze({
  ...otlpRoot.lookupEnum('opentelemetry.proto.trace.v1.Status.StatusCode').values,
});

/** Encoded empty ExportTraceServiceResponse (no partial_success): the body of a 200 answer. */
const EMPTY_RESPONSE = Buffer.from(ExportTraceServiceResponse.encode(ExportTraceServiceResponse.create({})).finish());
const EMPTY_METRICS_RESPONSE = Buffer.from(ExportMetricsServiceResponse.encode(ExportMetricsServiceResponse.create({})).finish());

// ---------------------------------------------------------------------------------------------------------
// Decoding: the plain-object shape protobufjs' toObject gives with the options below.

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: Number, bytes: Array, defaults: false };

interface PbKeyValue {
  key?: string;
  value?: PbAnyValue;
}
interface PbAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: PbAnyValue[] };
  kvlistValue?: { values?: PbKeyValue[] };
  bytesValue?: number[];
}
interface PbSpan {
  traceId?: number[];
  spanId?: number[];
  parentSpanId?: number[];
  name?: string;
  kind?: number;
  startTimeUnixNano?: string;
  endTimeUnixNano?: string;
  attributes?: PbKeyValue[];
  events?: Array<{ name?: string; attributes?: PbKeyValue[] }>;
  status?: { code?: number; message?: string };
}
interface PbRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: PbKeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string }; spans?: PbSpan[] }>;
  }>;
}

/** Unwraps an OTLP AnyValue into a JS value (int64 → number, bytes → Buffer, kvlist → object). */
function anyValue(value: PbAnyValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.arrayValue !== undefined) return (value.arrayValue.values ?? []).map(anyValue);
  if (value.kvlistValue !== undefined) return keyValues(value.kvlistValue.values);
  if (value.bytesValue !== undefined) return Buffer.from(value.bytesValue);
  return undefined;
}

function keyValues(list: PbKeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key ?? ''] = anyValue(kv.value);
  return out;
}

function hex(bytes: number[] | undefined): string {
  return bytes ? Buffer.from(bytes).toString('hex') : '';
}

/** Decodes an `application/x-protobuf` ExportTraceServiceRequest body into flat spans. */
export function decodeTraceRequest(body: Uint8Array): ReceivedSpan[] {
  const request = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), TO_OBJECT) as PbRequest;
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of request.resourceSpans ?? []) {
    const resource = keyValues(resourceSpans.resource?.attributes);
    for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
      const scope = scopeSpans.scope?.name ?? '';
      for (const span of scopeSpans.spans ?? []) {
        const status: ReceivedSpan['status'] = { code: span.status?.code ?? 0 };
        if (span.status?.message) status.message = span.status.message;
        spans.push({
          traceId: hex(span.traceId),
          spanId: hex(span.spanId),
          parentSpanId: hex(span.parentSpanId),
          name: span.name ?? '',
          kind: span.kind ?? 0,
          startTimeUnixNano: BigInt(span.startTimeUnixNano ?? 0),
          endTimeUnixNano: BigInt(span.endTimeUnixNano ?? 0),
          attributes: keyValues(span.attributes),
          status,
          events: (span.events ?? []).map((event) => ({ name: event.name ?? '', attributes: keyValues(event.attributes) })),
          resource,
          scope,
        });
      }
    }
  }
  return spans;
}

/**
 * Decodes an `ExportTraceServiceRequest` body into the schema's full plain-object form: every field,
 * defaults included (int64 as strings, bytes as hex), for comparing two requests field by field.
 */
export function decodeTraceRequestMessage(body: Uint8Array): Record<string, unknown> {
  const object = ExportTraceServiceRequest.toObject(ExportTraceServiceRequest.decode(body), { longs: String, enums: Number, bytes: Array, defaults: true, arrays: true, objects: true, oneofs: true });
  return JSON.parse(JSON.stringify(object, (key, value) => (Array.isArray(value) && /(Id|bytesValue)$/.test(key) ? Buffer.from(value).toString('hex') : value)));
}

interface PbNumberPoint {
  attributes?: PbKeyValue[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  asDouble?: number;
  asInt?: string;
  count?: string;
  sum?: number;
  bucketCounts?: string[];
  explicitBounds?: number[];
}
interface PbMetricData {
  dataPoints?: PbNumberPoint[];
  aggregationTemporality?: number;
  isMonotonic?: boolean;
}
type PbMetric = { name?: string; description?: string; unit?: string } & Partial<Record<ReceivedMetric['type'], PbMetricData>>;
interface PbMetricsRequest {
  resourceMetrics?: Array<{
    resource?: { attributes?: PbKeyValue[] };
    scopeMetrics?: Array<{ scope?: { name?: string }; metrics?: PbMetric[] }>;
  }>;
}

const METRIC_TYPES: ReadonlyArray<ReceivedMetric['type']> = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'];

/** Decodes an `application/x-protobuf` ExportMetricsServiceRequest body into flat metrics (request index `request`). */
export function decodeMetricsRequest(body: Uint8Array, request = 0): ReceivedMetric[] {
  const decoded = ExportMetricsServiceRequest.toObject(ExportMetricsServiceRequest.decode(body), TO_OBJECT) as PbMetricsRequest;
  const out: ReceivedMetric[] = [];
  for (const resourceMetrics of decoded.resourceMetrics ?? []) {
    const resource = keyValues(resourceMetrics.resource?.attributes);
    for (const scopeMetrics of resourceMetrics.scopeMetrics ?? []) {
      const scope = scopeMetrics.scope?.name ?? '';
      for (const metric of scopeMetrics.metrics ?? []) {
        const type = METRIC_TYPES.find((t) => metric[t] !== undefined) ?? 'gauge';
        const data = metric[type] ?? {};
        out.push({
          name: metric.name ?? '',
          description: metric.description ?? '',
          unit: metric.unit ?? '',
          type,
          ...(data.aggregationTemporality !== undefined ? { aggregationTemporality: data.aggregationTemporality } : {}),
          ...(type === 'sum' ? { isMonotonic: data.isMonotonic ?? false } : {}),
          points: (data.dataPoints ?? []).map((p) => {
            const point: ReceivedMetricPoint = {
              attributes: keyValues(p.attributes),
              startTimeUnixNano: BigInt(p.startTimeUnixNano ?? 0),
              timeUnixNano: BigInt(p.timeUnixNano ?? 0),
            };
            if (type === 'histogram') {
              point.count = Number(p.count ?? 0);
              point.sum = p.sum ?? 0;
              point.bucketCounts = (p.bucketCounts ?? []).map(Number);
              point.explicitBounds = p.explicitBounds ?? [];
            } else if (p.asInt !== undefined) point.value = Number(p.asInt);
            else point.value = p.asDouble ?? 0;
            return point;
          }),
          resource,
          scope,
          request,
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Server.

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function inflate(body: Buffer, encoding: string | undefined): Buffer {
  switch ((encoding ?? '').trim().toLowerCase()) {
    case '':
    case 'identity':
      return body;
    case 'gzip':
    case 'x-gzip':
      return gunzipSync(body);
    case 'deflate':
      return inflateSync(body);
    default:
      throw new Error(`unsupported Content-Encoding "${encoding}"`);
  }
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(text);
}

interface Waiter {
  done(): boolean;
  settle(): void;
}

/**
 * Starts an OTLP/HTTP trace receiver on 127.0.0.1 on a free port.
 *
 * In 'ok' mode it answers 404 for a path other than `/v1/traces`, 405 for a method other than POST,
 * 415 for a `Content-Type` other than `application/x-protobuf`, 400 for a body that does not decode,
 * else 200. In 'fail500' mode every request gets 500; in 'hang' mode none gets an answer. Every request
 * is counted in `requests` and `contentTypes`. Always `close()` it (e.g. in `afterEach`).
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  let mode = options.mode ?? 'ok';
  const sockets = new Set<Socket>();
  const waiters = new Set<Waiter>();
  let closed = false;

  const wake = (): void => {
    for (const waiter of [...waiters]) if (waiter.done()) waiter.settle();
  };

  const waitFor = <T>(done: () => boolean, value: () => T, describe: () => string, timeoutMs: number): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (done()) return resolve(value());
      if (closed) return reject(new Error(`OTLP receiver is closed; ${describe()}`));
      const waiter: Waiter = {
        done,
        settle: () => {
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(value());
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`OTLP receiver timed out after ${timeoutMs} ms: ${describe()}`));
      }, timeoutMs);
      waiters.add(waiter);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    receiver.requests += 1;
    const contentType = req.headers['content-type'] ?? '';
    receiver.contentTypes.push(contentType);
    receiver.contentEncodings.push(req.headers['content-encoding'] ?? '');
    receiver.headers.push(req.headers);
    wake();

    // Why the request is refused in 'ok' mode, as [status, text]; undefined when it is a trace or metrics export.
    const path = (req.url ?? '').split('?')[0];
    const isMetrics = path === '/v1/metrics';
    let refusal: [number, string] | undefined;
    if (path !== '/v1/traces' && !isMetrics) refusal = [404, `no such path: ${path}`];
    else if (req.method !== 'POST') refusal = [405, `method not allowed: ${req.method}`];
    else if (contentType.split(';')[0].trim().toLowerCase() !== 'application/x-protobuf')
      refusal = [415, `unsupported content type "${contentType}"; this receiver takes application/x-protobuf`];

    if (refusal) {
      req.resume();
    } else {
      try {
        const body = inflate(await readBody(req), req.headers['content-encoding']);
        if (isMetrics) {
          receiver.metrics.push(...decodeMetricsRequest(body, receiver.metricRequests));
          receiver.metricRequests += 1;
        } else {
          receiver.spans.push(...decodeTraceRequest(body));
          receiver.traceBodies.push(body);
        }
        wake();
      } catch (error) {
        refusal = [400, `cannot decode ${isMetrics ? 'ExportMetricsServiceRequest' : 'ExportTraceServiceRequest'}: ${(error as Error).message}`];
      }
    }

    if (mode === 'hang') return; // never answer; close() destroys the socket
    if (mode === 'fail500') return answer(res, 500, 'receiver configured to fail');
    if (mode === 'fail503') return void res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('unavailable');
    if (refusal) return answer(res, ...refusal);
    const ok = isMetrics ? EMPTY_METRICS_RESPONSE : EMPTY_RESPONSE;
    res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': ok.length }).end(ok);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent && !res.destroyed) answer(res, 500, String(error));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;

  const receiver: OtlpReceiver = {
    url: `${endpoint}/v1/traces`,
    metricsUrl: `${endpoint}/v1/metrics`,
    endpoint,
    spans: [],
    metrics: [],
    metricRequests: 0,
    waitForMetricRequests: (count, timeoutMs = 5000) =>
      waitFor(
        () => receiver.metricRequests >= count,
        () => undefined,
        () => `wanted ${count} metrics request(s), got ${receiver.metricRequests}`,
        timeoutMs,
      ),
    requests: 0,
    contentTypes: [],
    contentEncodings: [],
    headers: [],
    traceBodies: [],
    waitForSpans: (count, timeoutMs = 5000) =>
      waitFor(
        () => receiver.spans.length >= count,
        () => [...receiver.spans],
        () => `wanted ${count} span(s), got ${receiver.spans.length} in ${receiver.requests} request(s)`,
        timeoutMs,
      ),
    waitForRequests: (count, timeoutMs = 5000) =>
      waitFor(
        () => receiver.requests >= count,
        () => undefined,
        () => `wanted ${count} request(s), got ${receiver.requests}`,
        timeoutMs,
      ),
    setMode: (next) => {
      mode = next;
    },
    close: () => {
      if (closed) return Promise.resolve();
      closed = true;
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      sockets.clear();
      return closing;
    },
  };
  return receiver;
}
