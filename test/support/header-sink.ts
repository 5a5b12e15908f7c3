import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';

/** An HTTP server on 127.0.0.1 that answers "ok" to everything and keeps the headers of each request. */
export interface HeaderSink {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  /** The headers of every request received, in order (empty it with `received.length = 0`). */
  received: IncomingHttpHeaders[];
  close(): Promise<void>;
}

export async function startHeaderSink(): Promise<HeaderSink> {
  const received: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    received.push(req.headers);
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
