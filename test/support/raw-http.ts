import { Agent, IncomingHttpHeaders, request as httpRequest } from 'node:http';

/** What a request to a local port answered. */
export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequestOptions {
  /** @default 'GET' */
  method?: string;
  headers?: Record<string, string>;
  /** A keep-alive agent; without one, the request has a connection of its own. */
  agent?: Agent;
  body?: string;
  /** Fail the request (destroy it) when no answer came in this many ms; without it, wait as long as Jest lets. */
  timeoutMs?: number;
}

/**
 * One request to 127.0.0.1:`port` with Node's own client (not supertest: it reaches servers that are not the
 * app's, such as the management port, a child process or a pm2 app).
 */
export function rawRequest(port: number, path: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const { method = 'GET', headers = {}, agent, body, timeoutMs } = options;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: agent ?? false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}
