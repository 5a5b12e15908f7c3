import { Logger } from '@nestjs/common';
import { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Ends the keep-alive connections of one HTTP server within a bound, the way Go's `Server.Shutdown`
 * and Envoy's drain do: while draining every response says `Connection: close` (so each client's
 * connection closes after its next answer, and it reconnects, through the load balancer, elsewhere);
 * when the drain ends the server stops accepting and idle connections are closed; after the shutdown
 * timeout whatever is still open is closed. Requests in flight are never touched before that bound.
 * (Node's own `server.close()` leaves a busy keep-alive connection open for as long as its client
 * keeps sending, and answers it keep-alive.)
 *
 * Works on any `node:http` server: Express's and Fastify's (Nest's adapters), and a management server.
 */
export class HttpServerDrain {
  private timer: NodeJS.Timeout | undefined;
  // Open connections, from construction on: one Set entry per connection, nothing per request.
  private readonly sockets = new Set<Socket>();
  private readonly track = (socket: Socket) => {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  };
  private readonly markClose = (request: IncomingMessage, response: ServerResponse) => {
    // HTTP/2 has no Connection header; its sessions end with the server.
    if (request.httpVersionMajor < 2) closeAfter(response);
  };

  constructor(
    private readonly server: Server,
    private readonly name: string,
    private readonly logger: Logger,
  ) {
    server.on('connection', this.track);
  }

  /**
   * From now on every response closes its connection: those of the requests in flight (whose headers
   * are not sent yet) and those of every request to come.
   */
  refuseKeepAlive(): void {
    // First of the request listeners, so that the header is set before Express or Fastify answers.
    this.server.prependListener('request', this.markClose);
    // The response a connection is writing (Node's `socket._httpMessage`, as http-terminator reads it):
    // without this, a request that started before SIGTERM would answer keep-alive after the drain.
    for (const socket of this.sockets) {
      const response = (socket as Socket & { _httpMessage?: unknown })._httpMessage;
      if (response instanceof ServerResponse && response.req?.httpVersionMajor < 2) closeAfter(response);
    }
  }

  /**
   * The drain is over: stops accepting connections (Nest's close would, a little later, once the other
   * modules' destroy hooks ran, while the app is half torn down) and closes the connections that wait
   * for a next request; those with a request in flight finish it, and close after it.
   *
   * A connection accepted just before has usually not delivered its request yet (Node counts it as
   * busy, not idle). It gets up to `graceMs` to do so, so that its request is served rather than
   * refused by the framework's own closing check (Fastify answers 503 once it closes); one still silent
   * then is closed: its client never sent anything the app could have accepted.
   */
  async stopAccepting(graceMs: number): Promise<void> {
    if (this.server.listening) this.server.close();
    this.server.closeIdleConnections?.();
    const silent = () => [...this.sockets].filter((socket) => socket.bytesRead === 0 && !socket.destroyed);
    const deadline = Date.now() + graceMs;
    while (silent().length > 0 && Date.now() < deadline) await sleep(5);
    for (const socket of silent()) socket.destroy();
  }

  /** After `timeoutMs`, closes every connection still open (cutting off what runs past the bound), and says so. */
  closeAllAfter(timeoutMs: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.server.getConnections((error, count) => {
        if (!error && count > 0) {
          this.logger.warn(
            `${this.name}: ${count} connection(s) still open after health.shutdownTimeoutMs (${timeoutMs} ms) are closed now; requests still running on them are cut off.`,
          );
        }
        this.server.closeAllConnections?.();
      });
    }, timeoutMs);
    // The bound must never be what keeps the process alive.
    this.timer.unref();
  }

  /** Stops the timer and the `Connection: close` marking (the server is closed). */
  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.server.off('request', this.markClose);
    this.server.off('connection', this.track);
    this.sockets.clear();
  }
}

function closeAfter(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('Connection', 'close');
}
