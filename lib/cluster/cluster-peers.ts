import { createConnection, createServer, Server, Socket } from 'node:net';
import { unlink } from 'node:fs/promises';
import { WorkerSnapshot } from './cluster-directory';

/** How long a peer waits for the asker's request line before it answers in full (an asker of an earlier version sends none). */
const REQUEST_WAIT_MS = 100;

/** A values-only answer: the snapshot's fields but `metrics`, and each metric's values in order. */
interface ValuesAnswer extends Omit<WorkerSnapshot, 'metrics'> {
  v: number[][];
}

/** The answer to a peer that holds this snapshot's keys already. */
export function valuesAnswer(snapshot: WorkerSnapshot): string {
  const { metrics, ...rest } = snapshot;
  return JSON.stringify({ ...rest, v: metrics.map((m) => m.v) });
}

/**
 * What a peer answers an asker that holds the key table `knownKeys` of it (`null`: none): the values
 * only when that is this snapshot's very table (same process generation, same version), else the
 * whole snapshot (`json`).
 */
export function peerAnswer(snapshot: WorkerSnapshot, json: string, knownKeys: string | null): string {
  return knownKeys !== null && snapshot.keys !== undefined && knownKeys === String(snapshot.keys) ? valuesAnswer(snapshot) : json;
}

/** What asking a peer gave: its fresh snapshot, or why there is none. */
export type PeerAnswer = { ok: true; snapshot: WorkerSnapshot } | { ok: false; reason: 'gone' | 'timeout' | 'error' };

/**
 * The transport between workers: each worker listens on a unix socket in the shared directory and, on
 * every connection, answers with a fresh snapshot (which it has written to its file first). The asker
 * first sends a line with the keys version it holds of this peer; when the peer's keys are unchanged
 * it answers with the values only (a few KB instead of the keys of every series). A unix
 * socket works the same under pm2 and `node:cluster`, needs no code in the primary, and a connection
 * refused tells a dead worker apart from a slow one.
 */
export class PeerServer {
  private server: Server | null = null;

  constructor(
    private readonly socketPath: string,
    private readonly answer: (knownKeys: string | null) => Promise<string>,
  ) {}

  async listen(): Promise<void> {
    // A previous process with this pid (pid reuse after a restart) may have left its socket.
    await unlink(this.socketPath).catch(() => undefined);
    const server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // Exclusive: in a cluster worker a plain listen() goes through the primary, which then owns the
      // socket and tells the manager that the worker is listening. pm2's reload takes that for "the
      // new worker serves" while the app is still booting, and stops the old worker at once.
      server.listen({ path: this.socketPath, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.unref();
    this.server = server;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private serve(socket: Socket): void {
    socket.on('error', () => undefined);
    let line = '';
    let answered = false;
    const answer = (knownKeys: string | null) => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      this.answer(knownKeys).then(
        (json) => socket.end(json),
        () => socket.destroy(),
      );
    };
    const timer = setTimeout(() => answer(null), REQUEST_WAIT_MS);
    socket.on('data', (chunk: Buffer) => {
      line += chunk.toString('latin1');
      const end = line.indexOf('\n');
      if (end >= 0 || line.length > 64) {
        const known = line.slice(0, end >= 0 ? end : 64).trim();
        answer(known === '' ? null : known);
      }
    });
  }
}

/**
 * Asks the worker listening on `socketPath` for a fresh snapshot, within `timeoutMs`. With `known` (its
 * last snapshot here), the peer may answer with values only, which are put back on `known`'s keys.
 */
export function askPeer(socketPath: string, timeoutMs: number, known?: WorkerSnapshot): Promise<PeerAnswer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (answer: PeerAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const socket = createConnection(socketPath);
    const timer = setTimeout(() => finish({ ok: false, reason: 'timeout' }), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('connect', () => socket.write(`${known?.keys ?? ''}\n`));
    socket.on('end', () => {
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WorkerSnapshot | ValuesAnswer;
        if ('metrics' in parsed) return finish({ ok: true, snapshot: parsed });
        const { v, ...rest } = parsed;
        // Values for keys this worker does not hold (another process, or another key table): ask in full next time.
        if (!known || known.id !== parsed.id || known.pid !== parsed.pid || known.keys !== parsed.keys || known.metrics.length !== v.length || v.some((values, i) => values.length !== known.metrics[i].k.length)) {
          return finish({ ok: false, reason: 'error' });
        }
        finish({ ok: true, snapshot: { ...rest, metrics: known.metrics.map((metric, i) => ({ ...metric, v: v[i] })) } });
      } catch {
        finish({ ok: false, reason: 'error' });
      }
    });
    socket.on('close', () => finish({ ok: false, reason: 'error' }));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      finish({ ok: false, reason: error.code === 'ECONNREFUSED' || error.code === 'ENOENT' ? 'gone' : 'error' }),
    );
  });
}
