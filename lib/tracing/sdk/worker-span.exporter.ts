import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { OtlpFrame } from './otlp-span.encoder';
import type { ExportWorkerConfig, ExportWorkerReply, ExportWorkerRequest } from './otlp-export.worker.mjs';

/** Where the export thread posts, and how. */
export type WorkerExportTarget = Pick<ExportWorkerConfig, 'url' | 'headers' | 'compression' | 'timeoutMillis'>;

/** The outcome of one batch. `crashed`: the thread died with it (its spans are lost, not failed). */
export interface WorkerExportResult {
  ok: boolean;
  crashed?: boolean;
  error?: Error;
}

interface InFlight {
  resolve(result: WorkerExportResult): void;
}

/** V8 heap limits of the export thread, MB (a thread that exceeds them dies, and is replaced: its spans are counted as dropped). */
const WORKER_HEAP_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 64 };
/** How long `stop()` lets the thread finish its batches past their own deadline before it is terminated. */
const STOP_GRACE_MS = 1000;

/**
 * The main thread's side of the export thread (`otlp-export.worker`): starts it on the first batch,
 * hands each encoded batch over (copied: see `send()`; the buffers are outside the V8 heap), and
 * resolves each batch's promise with the thread's answer. A thread that dies is replaced with the next
 * batch; the batches it held resolve as `crashed`. `stop()` ends the thread, so that a flushed or shut
 * down SDK leaves none behind. The thread keeps the process alive only while batches are in flight.
 */
export class WorkerSpanExporter {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly inFlight = new Map<number, InFlight>();
  private readonly scopes: Array<{ id: number; head: Uint8Array; tail: Uint8Array }> = [];
  private resource: OtlpFrame | null = null;
  private readonly spares: Array<{ buffer: Buffer; index: Uint32Array }> = [];
  private readonly stopping = new WeakSet<Worker>();
  private idleWaiters: Array<() => void> = [];

  constructor(private readonly target: WorkerExportTarget) {}

  /** Whether the resource framing was given (it is awaited once: detectors may be asynchronous). */
  get hasResource(): boolean {
    return this.resource !== null;
  }

  setResource(frame: OtlpFrame): void {
    this.resource = frame;
    this.worker?.postMessage({ type: 'resource', head: frame.head, tail: frame.tail } satisfies ExportWorkerRequest);
  }

  /** Starts the thread ahead of the first batch (it takes tens of milliseconds to boot), unless it runs. */
  warm(): void {
    this.worker ??= this.start();
  }

  /** Registers the framing of a scope, under the id that the batches' index uses. */
  addScope(id: number, frame: OtlpFrame): void {
    const scope = { id, head: frame.head, tail: frame.tail };
    this.scopes.push(scope);
    this.worker?.postMessage({ type: 'scope', ...scope } satisfies ExportWorkerRequest);
  }

  /** A buffer and index that an earlier batch gave back, if any. */
  takeSpare(): { buffer: Buffer; index: Uint32Array } | undefined {
    return this.spares.pop();
  }

  /** Whether a thread is running now. */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Sends one batch: `count` spans encoded in `buffer` (which must own its ArrayBuffer), located by `index`. */
  send(buffer: Buffer, index: Uint32Array, count: number): Promise<WorkerExportResult> {
    if (!this.resource) throw new Error('nestjs-observability: the resource framing must be set before the first batch');
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    const done = new Promise<WorkerExportResult>((resolve) => this.inFlight.set(id, { resolve }));
    worker.ref();
    const message: ExportWorkerRequest = { type: 'batch', id, buffer: buffer.buffer as ArrayBuffer, index: index.buffer as ArrayBuffer, count };
    // Copied, not transferred: detaching an ArrayBuffer on this thread invalidates V8's process-wide
    // "no ArrayBuffer was ever detached" protector, which deoptimizes the host's hot code that touches
    // typed arrays (Node's nextTick and stream internals among it) and leaves detach checks in all code
    // optimized afterwards (issue 18). A batch is copied once (memcpy); the thread still transfers it back.
    worker.postMessage(message);
    return done;
  }

  /**
   * Ends the thread: at once when no batch is in flight, else once they are answered or their deadline
   * (plus a second) has passed. Batches still held then resolve as `crashed`.
   */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        timer = setTimeout(resolve, this.target.timeoutMillis + STOP_GRACE_MS);
      });
      clearTimeout(timer);
    }
    if (this.worker !== worker) return;
    this.stopping.add(worker);
    this.worker = null;
    this.settleAll({ ok: false, crashed: true, error: new Error('the export thread was stopped before the Collector answered') });
    await worker.terminate();
  }

  private start(): Worker {
    const config: ExportWorkerConfig = { kind: 'nestjs-observability.otlp-export', ...this.target, resource: this.resource, scopes: this.scopes };
    const file = workerFile();
    // The TypeScript source (tests) is ESM in a typeless package: Node would warn about it at each start.
    const execArgv = file.endsWith('.ts') ? [...process.execArgv, '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'] : undefined;
    // The thread holds one batch at a time per request: a small heap is plenty, and keeps its RSS low.
    const worker = new Worker(file, { workerData: config, execArgv, resourceLimits: WORKER_HEAP_LIMITS });
    worker.unref();
    let reason = '';
    worker.on('message', (reply: ExportWorkerReply) => this.answer(worker, reply));
    worker.on('error', (error) => void (reason = error instanceof Error ? error.message : String(error)));
    worker.on('exit', (code) => {
      if (this.stopping.has(worker) || this.worker !== worker) return;
      this.worker = null;
      // The next batch starts a new thread; the batches this one held are lost, and counted by their senders.
      this.settleAll({ ok: false, crashed: true, error: new Error(`the export thread stopped: ${reason || `exit code ${code}`}`) });
    });
    return (this.worker = worker);
  }

  private answer(worker: Worker, reply: ExportWorkerReply): void {
    const pending = this.inFlight.get(reply.id);
    if (!pending) return;
    this.inFlight.delete(reply.id);
    if (this.inFlight.size === 0) {
      worker.unref();
      this.wakeIdle();
    }
    if (this.spares.length < 2) this.spares.push({ buffer: Buffer.from(reply.buffer), index: new Uint32Array(reply.index) });
    pending.resolve(reply.ok ? { ok: true } : { ok: false, error: replyError(reply.error) });
  }

  private settleAll(result: WorkerExportResult): void {
    const all = [...this.inFlight.values()];
    this.inFlight.clear();
    for (const pending of all) pending.resolve(result);
    this.wakeIdle();
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

/** An Error like the OTLP exporter's: the message, and the HTTP status or the network code in `code`. */
function replyError(error: ExportWorkerReply['error']): Error {
  const e = new Error(error?.message ?? 'export failed') as Error & { code?: string | number };
  if (error?.code !== undefined) e.code = error.code;
  return e;
}

/**
 * The compiled worker next to this file (dist/), else its TypeScript source (run through Node's type
 * stripping). It is an ES module (`.mts`/`.mjs`) in this CommonJS package: no detection is needed to load it.
 */
function workerFile(): string {
  const js = join(__dirname, 'otlp-export.worker.mjs');
  return existsSync(js) ? js : join(__dirname, 'otlp-export.worker.mts');
}
