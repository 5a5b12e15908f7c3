/**
 * The export thread of the encoded span path: it receives batches of spans already encoded to OTLP
 * `Span` messages (one transferred buffer and an index per batch), frames them into an
 * `ExportTraceServiceRequest` with the resource and scope fields encoded once on the main thread,
 * compresses, and posts them over a kept-alive connection, retrying as the OTLP specification says.
 *
 * Self-contained on purpose (Node built-ins only): the same file runs as compiled JavaScript from
 * `dist/` and, in this repository's tests, as TypeScript through Node's type stripping.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { gzipSync } from 'node:zlib';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** What `workerData` carries. */
export interface ExportWorkerConfig {
  kind: 'nestjs-observability.otlp-export';
  url: string;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  /** Deadline of one export, retries included, ms. */
  timeoutMillis: number;
  /** Null when the thread starts before the resource detectors are done: a `resource` message follows. */
  resource: { head: Uint8Array; tail: Uint8Array } | null;
  scopes: Array<{ id: number; head: Uint8Array; tail: Uint8Array }>;
}

/** Main thread → worker. */
export type ExportWorkerRequest =
  | { type: 'resource'; head: Uint8Array; tail: Uint8Array }
  | { type: 'scope'; id: number; head: Uint8Array; tail: Uint8Array }
  | { type: 'batch'; id: number; buffer: ArrayBuffer; index: ArrayBuffer; count: number };

/** Worker → main thread: one per batch; the buffers come back for reuse. */
export interface ExportWorkerReply {
  type: 'done';
  id: number;
  ok: boolean;
  error?: { message: string; code?: string | number };
  buffer: ArrayBuffer;
  index: ArrayBuffer;
}

/** One batch's index: `scope id, offset, length` per span, into the batch's buffer. */
export const INDEX_FIELDS = 3;

const USER_AGENT = 'nestjs-observability OTLP exporter (worker thread)';
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
const RETRYABLE_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ENETUNREACH', 'EHOSTUNREACH']);
// The OTLP exporters' retry policy (exponential backoff with jitter, within the export's deadline).
const MAX_RETRIES = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;

/**
 * The `ExportTraceServiceRequest` for one batch: the spans grouped by scope, scopes in order of first
 * appearance (as the SDK's serializer groups them), each span as field 2 of its ScopeSpans.
 */
export function frameTraceRequest(
  resource: { head: Uint8Array; tail: Uint8Array },
  scopes: ReadonlyMap<number, { head: Uint8Array; tail: Uint8Array }>,
  bytes: Uint8Array,
  index: Uint32Array,
  count: number,
): Buffer {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < count; i++) {
    const scope = index[i * INDEX_FIELDS];
    let group = groups.get(scope);
    if (!group) groups.set(scope, (group = []));
    group.push(i);
  }
  const scopeSizes: number[] = [];
  let resourceSpansSize = resource.head.length + resource.tail.length;
  for (const [id, spans] of groups) {
    const frame = scopes.get(id)!;
    let size = frame.head.length + frame.tail.length;
    for (const i of spans) {
      const length = index[i * INDEX_FIELDS + 2];
      size += 1 + varintSize(length) + length;
    }
    scopeSizes.push(size);
    resourceSpansSize += 1 + varintSize(size) + size;
  }
  const out = Buffer.allocUnsafe(1 + varintSize(resourceSpansSize) + resourceSpansSize);
  let pos = 0;
  const key = (field: number): void => void (out[pos++] = (field << 3) | 2);
  const varint = (value: number): void => {
    while (value > 127) {
      out[pos++] = (value & 127) | 128;
      value >>>= 7;
    }
    out[pos++] = value;
  };
  const put = (part: Uint8Array): void => {
    out.set(part, pos);
    pos += part.length;
  };
  key(1);
  varint(resourceSpansSize);
  put(resource.head);
  let g = 0;
  for (const [id, spans] of groups) {
    const frame = scopes.get(id)!;
    key(2);
    varint(scopeSizes[g++]);
    put(frame.head);
    for (const i of spans) {
      const offset = index[i * INDEX_FIELDS + 1];
      const length = index[i * INDEX_FIELDS + 2];
      key(2);
      varint(length);
      put(bytes.subarray(offset, offset + length));
    }
    put(frame.tail);
  }
  put(resource.tail);
  return out;
}

function varintSize(value: number): number {
  return value < 128 ? 1 : value < 16384 ? 2 : value < 2097152 ? 3 : value < 268435456 ? 4 : 5;
}

type Attempt = { outcome: 'success' } | { outcome: 'retryable' | 'failure'; error: { message: string; code?: string | number }; retryInMillis?: number };

/** Posts OTLP requests to one URL over kept-alive connections, with the OTLP retry policy. */
export class OtlpPoster {
  private readonly agent: HttpAgent;
  private readonly send: typeof httpRequest;
  private readonly target: URL;
  // No parameter properties here: Node's type stripping runs this file in the tests.
  private readonly config: Pick<ExportWorkerConfig, 'url' | 'headers' | 'compression' | 'timeoutMillis'>;

  constructor(config: Pick<ExportWorkerConfig, 'url' | 'headers' | 'compression' | 'timeoutMillis'>) {
    this.config = config;
    this.target = new URL(config.url);
    const https = this.target.protocol === 'https:';
    // TLS is loaded only for an https endpoint (it costs the thread about 4 MB).
    const tls = https ? process.getBuiltinModule('node:https') : null;
    this.agent = tls ? new tls.Agent({ keepAlive: true, maxSockets: 4 }) : new HttpAgent({ keepAlive: true, maxSockets: 4 });
    this.send = (tls ? tls.request : httpRequest) as typeof httpRequest;
  }

  /** Sends one request body; resolves with the outcome after retries, within the deadline. */
  async post(body: Buffer): Promise<{ ok: boolean; error?: { message: string; code?: string | number } }> {
    const payload = this.config.compression === 'gzip' ? gzipSync(body) : body;
    const deadline = Date.now() + this.config.timeoutMillis;
    let backoff = INITIAL_BACKOFF_MS;
    let attempt = await this.once(payload, this.config.timeoutMillis);
    for (let retries = 0; attempt.outcome === 'retryable' && retries < MAX_RETRIES; retries++) {
      const jittered = Math.max(0, Math.min(backoff * (1 + Math.random() * 2 * JITTER - JITTER), MAX_BACKOFF_MS));
      backoff *= BACKOFF_MULTIPLIER;
      const wait = attempt.retryInMillis ?? jittered;
      const remaining = deadline - Date.now();
      if (wait > remaining) break;
      await new Promise((resolve) => setTimeout(resolve, wait));
      attempt = await this.once(payload, deadline - Date.now());
    }
    return attempt.outcome === 'success' ? { ok: true } : { ok: false, error: attempt.error };
  }

  close(): void {
    this.agent.destroy();
  }

  private once(payload: Buffer, timeoutMillis: number): Promise<Attempt> {
    return new Promise<Attempt>((resolve) => {
      const headers: Record<string, string | number> = {
        ...this.config.headers,
        'Content-Type': 'application/x-protobuf',
        'Content-Length': payload.length,
        'User-Agent': USER_AGENT,
      };
      if (this.config.compression === 'gzip') headers['Content-Encoding'] = 'gzip';
      const req = this.send(this.target, { method: 'POST', headers, agent: this.agent }, (res: IncomingMessage) => {
        res.resume(); // the response body (partial success) is not read: the SDK's exporter only logs it
        res.on('end', () => resolve(outcomeOf(res)));
        res.on('error', (error) => resolve({ outcome: 'failure', error: describe(error) }));
      });
      req.setTimeout(Math.max(1, timeoutMillis), () => {
        req.destroy();
        resolve({ outcome: 'retryable', error: { message: `Request timed out after ${Math.round(timeoutMillis)} ms` } });
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        resolve({ outcome: typeof error.code === 'string' && RETRYABLE_NETWORK.has(error.code) ? 'retryable' : 'failure', error: describe(error) });
      });
      req.end(payload);
    });
  }
}

function outcomeOf(res: IncomingMessage): Attempt {
  const status = res.statusCode ?? 0;
  if (status >= 200 && status <= 299) return { outcome: 'success' };
  const error = { message: res.statusMessage || `HTTP ${status}`, code: status };
  if (!RETRYABLE_STATUS.has(status)) return { outcome: 'failure', error };
  return { outcome: 'retryable', error, retryInMillis: retryAfterMillis(res.headers['retry-after']) };
}

/** `Retry-After` in seconds or as an HTTP date, in ms (as the OTLP exporters read it). */
export function retryAfterMillis(value: string | undefined): number | undefined {
  if (value == null) return undefined;
  const seconds = Number.parseInt(value, 10);
  if (Number.isInteger(seconds)) return seconds > 0 ? seconds * 1000 : -1;
  const delay = new Date(value).getTime() - Date.now();
  return delay >= 0 ? delay : 0;
}

function describe(error: NodeJS.ErrnoException): { message: string; code?: string } {
  return { message: error.message || String(error), ...(typeof error.code === 'string' ? { code: error.code } : {}) };
}

/** The worker's message loop. */
function serve(config: ExportWorkerConfig): void {
  const port = parentPort!;
  const scopes = new Map(config.scopes.map((s) => [s.id, s]));
  const poster = new OtlpPoster(config);
  let resource = config.resource ?? { head: new Uint8Array(0), tail: new Uint8Array(0) };
  port.on('message', (message: ExportWorkerRequest) => {
    if (message.type === 'resource') {
      resource = message;
      return;
    }
    if (message.type === 'scope') {
      scopes.set(message.id, message);
      return;
    }
    const { id, buffer, index, count } = message;
    const body = frameTraceRequest(resource, scopes, new Uint8Array(buffer), new Uint32Array(index), count);
    void poster.post(body).then((result) => {
      const reply: ExportWorkerReply = { type: 'done', id, ...result, buffer, index };
      port.postMessage(reply, [buffer, index]);
    });
  });
}

if (!isMainThread && (workerData as ExportWorkerConfig | undefined)?.kind === 'nestjs-observability.otlp-export') serve(workerData as ExportWorkerConfig);
