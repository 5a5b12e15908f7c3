import { createConnection, createServer, Server, Socket } from 'node:net';
import { unlink } from 'node:fs/promises';
import { WorkerSnapshot } from './cluster-directory';

/** What asking a peer gave: its fresh snapshot, or why there is none. */
export type PeerAnswer = { ok: true; snapshot: WorkerSnapshot } | { ok: false; reason: 'gone' | 'timeout' | 'error' };

/**
 * The transport between workers: each worker listens on a unix socket in the shared directory and, on
 * every connection, answers with a fresh snapshot (which it has written to its file first). A unix
 * socket works the same under pm2 and `node:cluster`, needs no code in the primary, and a connection
 * refused tells a dead worker apart from a slow one.
 */
export class PeerServer {
  private server: Server | null = null;

  constructor(
    private readonly socketPath: string,
    private readonly answer: () => Promise<string>,
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
    this.answer().then(
      (json) => socket.end(json),
      () => socket.destroy(),
    );
  }
}

/** Asks the worker listening on `socketPath` for a fresh snapshot, within `timeoutMs`. */
export function askPeer(socketPath: string, timeoutMs: number): Promise<PeerAnswer> {
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
    socket.on('end', () => {
      try {
        finish({ ok: true, snapshot: JSON.parse(Buffer.concat(chunks).toString('utf8')) as WorkerSnapshot });
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
