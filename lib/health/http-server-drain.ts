import { Logger } from '@nestjs/common';
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Before closing its listening socket the server answers keep-alive again, until no connection came
 * for this long, ms: clients stop reconnecting, so none waits in the kernel's accept queue when it
 * closes (the kernel resets those: ECONNRESET instead of ECONNREFUSED).
 */
const SETTLE_MS = 100;
/** The longest that settling may take, ms (clients that keep opening new connections). */
const MAX_SETTLE_MS = 1000;

/** A socket and the response it is writing, if any (Node's `socket._httpMessage`, as http-terminator reads it). */
type HttpSocket = Socket & { _httpMessage?: unknown };

/** How the connections of one server ended once it stopped accepting. */
export interface DrainOutcome {
  /** Connections still open at the bound, closed then. */
  closedAtBound: number;
  /** Of those, the ones with a request running (cut off). */
  cutOff: number;
}

/**
 * Ends the keep-alive connections of one HTTP server without racing its clients, the way Go's
 * `Server.Shutdown` and nginx do:
 * - while draining, every response says `Connection: close`, so each connection closes after its next
 *   answer and its client reconnects (through the load balancer, elsewhere): a client never sees a
 *   connection close under a request it is sending;
 * - when the drain ends the server stops accepting. A connection open since before the drain whose
 *   client sent nothing through the whole drain is closed then (the load balancer stopped using it).
 *   Every other one ends as above: one with a request in flight closes after its answer; one accepted
 *   during the drain whose request is still on its way gets it served. Node's `server.close()` would
 *   instead close every idle connection at once (Node ≥ 19), under requests their clients may be
 *   sending at that moment (a fresh connection is "idle" until its request is parsed);
 * - at the bound, whatever is still open is closed, and said.
 *
 * Works on any `node:http` server: Express's and Fastify's (Nest's adapters), and a management server.
 */
export class HttpServerDrain {
  // Open connections, from construction on: one Set entry per connection, nothing per request.
  private readonly sockets = new Set<HttpSocket>();
  private lastAcceptAt = 0;
  private readonly track = (socket: HttpSocket) => {
    this.lastAcceptAt = Date.now();
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (this.sockets.size === 0) this.onEmpty?.();
    });
  };
  private readonly markClose = (request: IncomingMessage, response: ServerResponse) => {
    // HTTP/2 has no Connection header; its sessions end with the server.
    if (request.httpVersionMajor < 2) this.closeAfter(response);
  };
  private onEmpty: (() => void) | undefined;
  /** Bytes each connection had read when the drain began: one that reads nothing more was silent throughout. */
  private readAtSignal = new WeakMap<Socket, number>();
  private signalled = false;
  /** Responses whose `Connection: close` this drain set. */
  private readonly marked = new WeakSet<ServerResponse>();

  constructor(
    private readonly server: Server,
    readonly name: string,
    private readonly logger: Logger,
  ) {
    server.on('connection', this.track);
  }

  /**
   * From now on every response closes its connection: those of the requests in flight (whose headers
   * are not sent yet) and those of every request to come.
   */
  refuseKeepAlive(): void {
    if (!this.signalled) {
      this.signalled = true;
      for (const socket of this.sockets) this.readAtSignal.set(socket, socket.bytesRead);
    }
    // First of the request listeners, so that the header is set before Express or Fastify answers.
    this.server.off('request', this.markClose);
    this.server.prependListener('request', this.markClose);
    // Without this, a request that started before the signal would answer keep-alive.
    for (const socket of this.sockets) {
      const response = socket._httpMessage;
      if (response instanceof ServerResponse && response.req?.httpVersionMajor < 2) this.closeAfter(response);
    }
  }

  /**
   * The drain is over: stops accepting connections, then waits until every open one has ended as
   * described above, at most `timeoutMs`; then closes the rest, and logs how many (and how many had a
   * request running).
   */
  async finish(timeoutMs: number): Promise<DrainOutcome> {
    if (this.server.listening) {
      // A client told `Connection: close` reconnects at once: closing the listening socket then would
      // reset every connection waiting in the kernel's accept queue (ECONNRESET, not ECONNREFUSED).
      // Answered keep-alive for a moment, the clients stay on connections already accepted.
      this.server.off('request', this.markClose);
      for (const socket of this.sockets) {
        const response = socket._httpMessage;
        // Only the header this drain set: an app's own `Connection: close` stays.
        if (response instanceof ServerResponse && !response.headersSent && this.marked.has(response)) response.removeHeader('Connection');
      }
      const settleUntil = Date.now() + Math.min(MAX_SETTLE_MS, timeoutMs);
      do await sleep(SETTLE_MS);
      while (Date.now() - this.lastAcceptAt < SETTLE_MS && Date.now() < settleUntil);
      // net.Server's close: stops listening without Node's closeIdleConnections() (http.Server's close
      // would destroy idle connections under requests on their way).
      NetServer.prototype.close.call(this.server);
      this.refuseKeepAlive();
    }
    // A connection open since before the drain, idle, whose client sent nothing through the whole drain,
    // is one the load balancer stopped using: closed now, rather than held up to the bound.
    for (const socket of this.sockets) {
      if (this.readAtSignal.get(socket) === socket.bytesRead && !inFlight(socket)) socket.destroy();
    }
    if (this.sockets.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.onEmpty = resolve;
        timer = setTimeout(resolve, timeoutMs);
        // The bound must never be what keeps the process alive.
        timer.unref();
      });
      clearTimeout(timer);
      this.onEmpty = undefined;
    }
    const open = [...this.sockets].filter((socket) => !socket.destroyed);
    const cutOff = open.filter(inFlight).length;
    if (open.length > 0) {
      this.logger.warn(
        `${this.name}: ${open.length} connection(s) still open after health.shutdownTimeoutMs (${timeoutMs} ms) are closed now; ` +
          `${cutOff} had a request running, cut off${cutOff < open.length ? `; ${open.length - cutOff} were idle (kept alive, their client sent nothing more)` : ''}.`,
      );
      for (const socket of open) socket.destroy();
    }
    return { closedAtBound: open.length, cutOff };
  }

  private closeAfter(response: ServerResponse): void {
    if (response.headersSent || response.hasHeader('Connection')) return;
    response.setHeader('Connection', 'close');
    this.marked.add(response);
  }

  /** Stops the `Connection: close` marking and the tracking (the server is closed). */
  dispose(): void {
    this.server.off('request', this.markClose);
    this.server.off('connection', this.track);
    this.sockets.clear();
    this.readAtSignal = new WeakMap();
    this.onEmpty = undefined;
  }
}

function inFlight(socket: HttpSocket): boolean {
  return socket._httpMessage instanceof ServerResponse && !socket._httpMessage.writableFinished;
}


