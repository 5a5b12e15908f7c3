import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HealthProbeService } from '../health/health-probe.service';
import { byteLength, MetricsEndpoint } from '../metrics/metrics-endpoint.service';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { observabilityEndpointPaths } from '../observability-endpoint.util';
import { ObservabilityConfigError } from '../observability-config.error';
import { HealthProbe, ResolvedObservabilityOptions } from '../observability-options.interface';

/** How long a scrape or probe in flight may take to finish once the server closes, ms. */
const CLOSE_TIMEOUT_MS = 2000;

type Route = 'metrics' | HealthProbe;

/**
 * The management server (`management: { port, host }`): `/metrics` and the health probes on a plain
 * `node:http` server of their own. Nest's pipeline (global prefix, middleware, guards, interceptors,
 * pipes, filters) never sees these requests, and the module's HTTP metrics and server spans do not
 * count them as the app's traffic. The answers come from the same services as on the app's port
 * (`MetricsEndpoint`, `HealthProbeService`), so formats, exemplars, probe semantics and health
 * metrics are the same.
 *
 * It listens once the app is initialised (`app.init()`, which `app.listen()` runs before it binds the
 * app's port), so the startup probe is reachable before the app takes traffic; and it closes in
 * `onApplicationShutdown`, after the SIGTERM drain and after the app's own server closed, so readiness
 * answers 503 throughout the drain.
 *
 * Under `node:cluster` (and pm2 cluster mode, which uses it) every worker calls `listen()` on the same
 * port and the cluster shares one listening handle: each request reaches one worker.
 *
 * @example
 * const app = await NestFactory.create(AppModule);
 * await app.listen(3000);
 * app.get(ManagementServer).port; // 9464, or the port picked for `management: { port: 0 }`
 */
@Injectable()
export class ManagementServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly routes = new Map<string, Route>();
  private server: Server | null = null;
  private closing = false;

  constructor(
    @Inject(OBSERVABILITY_RESOLVED_OPTIONS) private readonly options: ResolvedObservabilityOptions,
    private readonly endpoint: MetricsEndpoint,
    private readonly probes: HealthProbeService,
  ) {
    for (const { option, path } of observabilityEndpointPaths(options)) {
      if (option === 'metrics.path') {
        if (options.metrics.endpoint) this.routes.set(path, 'metrics');
      } else {
        this.routes.set(path, option.slice('health.probePaths.'.length) as HealthProbe);
      }
    }
  }

  /** The port the management server listens on, once it does (useful with `port: 0`). */
  get port(): number | undefined {
    const address = this.server?.address() as AddressInfo | null | undefined;
    return address?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const { enabled, port, host } = this.options.management;
    if (!enabled || this.server) return;
    const server = createServer((request, response) => void this.handle(request, response));
    // Scrapes and probes are small GETs: a client that trickles its request is dropped early.
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why =
        code === 'EADDRINUSE' ? 'the port is already in use' :
        code === 'EACCES' ? 'permission denied (ports below 1024 need privileges)' :
        code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? `the host "${host}" does not resolve` :
        code === 'EADDRNOTAVAIL' ? `the address "${host}" is not one of this machine's` :
        String((error as Error).message ?? error);
      throw new ObservabilityConfigError(
        `The management server cannot listen on port ${port}${host ? ` of ${host}` : ''} (option "management"): ${why}${code && !why.includes(code) ? ` (${code})` : ''}.`,
      );
    }
    server.on('error', (error) => this.logger.error(`Management server error: ${String(error)}`));
    this.server = server;
    this.logger.log(`Management server: /metrics and the health probes on http://${formatHost(host)}:${this.port}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    this.closing = true;
    // Stop accepting (unless the drain already did), end idle keep-alive connections (Prometheus keeps
    // one open), let a request in flight finish, and after a bound close whatever is left: shutdown ends
    // whatever the clients do.
    const closed = new Promise<void>((resolve) => {
      server.once('close', () => resolve());
      if (server.listening) server.close();
      else server.getConnections((error, count) => (error || count === 0) && resolve());
    });
    server.closeIdleConnections();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS)))]);
    clearTimeout(timer);
    server.closeAllConnections();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    request.resume(); // a body, if any, is not read: drain it so the connection stays usable
    const url = request.url ?? '/';
    const q = url.indexOf('?');
    let path = q === -1 ? url : url.slice(0, q);
    if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    const route = this.routes.get(path);
    try {
      if (route === undefined) return this.send(request, response, 404, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Not Found\n');
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return this.send(request, response, 405, { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' }, 'Method Not Allowed\n');
      }
      if (route === 'metrics') {
        const answer = await this.endpoint.respond(request.headers);
        return this.send(request, response, answer.status, answer.headers, answer.body);
      }
      const report = await this.probes.run(route);
      this.send(request, response, report.httpStatus, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' }, JSON.stringify(report.body));
    } catch (error) {
      // Not expected (both services turn failures into answers); a probe still never answers 500.
      this.logger.error(`The management server failed to answer ${path}: ${String((error as Error)?.stack ?? error)}`);
      if (!response.headersSent) this.send(request, response, route === 'metrics' ? 500 : 503, { 'Content-Type': 'text/plain; charset=utf-8' }, 'Error\n');
    }
  }

  private send(request: IncomingMessage, response: ServerResponse, status: number, headers: Record<string, string>, body: string | readonly Buffer[]): void {
    response.writeHead(status, {
      ...headers,
      'Content-Length': String(byteLength(body)),
      // From SIGTERM on, ask keep-alive clients to reconnect (to another instance) instead of reusing the socket.
      ...(this.closing || this.probes.isShuttingDown ? { Connection: 'close' } : {}),
    });
    if (request.method === 'HEAD') return void response.end();
    if (typeof body === 'string') return void response.end(body);
    // The pieces of a large scrape, one socket write each (see MetricsService.renderPieces()).
    for (const piece of body) response.write(piece);
    response.end();
  }
}

function formatHost(host: string | undefined): string {
  if (host === undefined || host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}
