import { Agent, get } from 'node:http';

/** What the clients saw. */
export interface KeepAliveLoadResult {
  /** Responses by status code. */
  statuses: Record<number, number>;
  /** Responses that said `Connection: close`. */
  connectionClose: number;
  /** Connections refused (the server had stopped listening): expected once it closed. */
  refused: number;
  /**
   * A fresh connection reset before any response: the kernel had queued it in the listen backlog when
   * the server closed its listening socket, so the app never read the request. Expected at close.
   */
  resetBeforeAccept: number;
  /** Requests that failed otherwise: cut off, or sent on a reused socket the server closed. */
  failures: string[];
}

/**
 * Keep-alive clients, each on its own socket (`maxSockets: 1`), each sending the next request as soon
 * as the last answer arrived, as a busy service behind a connection-pooling client does. A client stops
 * when its connection is refused (the server is gone) or when `stop()` is called.
 */
export function startKeepAliveLoad(url: string, connections: number): { stop(): Promise<KeepAliveLoadResult> } {
  const result: KeepAliveLoadResult = { statuses: {}, connectionClose: 0, refused: 0, resetBeforeAccept: 0, failures: [] };
  let stopped = false;
  const started = Date.now();
  const agents: Agent[] = [];
  const one = (agent: Agent) =>
    new Promise<'again' | 'done'>((resolve) => {
      let answered = false;
      const request = get(url, { agent }, (response) => {
        answered = true;
        result.statuses[response.statusCode!] = (result.statuses[response.statusCode!] ?? 0) + 1;
        if (response.headers.connection === 'close') result.connectionClose++;
        if (response.statusCode !== 200) {
          let body = '';
          response.on('data', (chunk) => (body += chunk));
          response.on('end', () => result.failures.push(`${response.statusCode} on a ${request.reusedSocket ? 'reused' : 'fresh'} socket at ${Date.now() - started} ms: ${body.slice(0, 120)}`));
        }
        response.on('error', (error: NodeJS.ErrnoException) => {
          result.failures.push(`response cut off: ${error.code ?? error.message}`);
          resolve('again');
        });
        response.on('end', () => resolve('again'));
        response.resume();
      });
      // A request nobody answers is a lost one: said, not waited for forever.
      request.setTimeout(15_000, () => request.destroy(Object.assign(new Error('no answer within 15 s'), { code: 'NO_ANSWER' })));
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (answered) return;
        if (error.code === 'ECONNREFUSED') {
          result.refused++;
          resolve('done');
        } else if (!request.reusedSocket && (error.code === 'ECONNRESET' || error.message === 'socket hang up')) {
          result.resetBeforeAccept++;
          resolve('again');
        } else {
          result.failures.push(`${request.reusedSocket ? 'reused' : 'fresh'} socket: ${error.code ?? error.message}`);
          resolve('again');
        }
      });
    });
  const clients = Array.from({ length: connections }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    while (!stopped && (await one(agent)) === 'again');
  });
  return {
    async stop() {
      stopped = true;
      await Promise.all(clients);
      for (const agent of agents) agent.destroy();
      return result;
    },
  };
}
