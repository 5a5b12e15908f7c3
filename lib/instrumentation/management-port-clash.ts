import type { Server } from 'node:net';

/**
 * Makes `app.listen()` on the management port fail with a message that says so. The management server takes its
 * port at `app.init()`, before `app.listen()` binds the app's: the same port for both gave a raw
 * `listen EADDRINUSE: address already in use :::9464`, which reads like another process holds it. The error keeps
 * its `code` (`EADDRINUSE`); its message (which Nest logs) names the two options.
 *
 * @example
 * explainManagementPortClash(app.getHttpServer(), 9464);
 */
export function explainManagementPortClash(server: Pick<Server, 'on' | 'off'> | undefined, managementPort: number): void {
  if (!server || typeof server.on !== 'function' || !(managementPort > 0)) return;
  const onError = (error: NodeJS.ErrnoException & { port?: number }) => {
    if (error?.code !== 'EADDRINUSE' || error.port !== managementPort) return;
    server.off('error', onError);
    error.message =
      `The app cannot listen on port ${managementPort}: it is the management port ("management.port"), where the module's ` +
      `management server already serves /metrics and the probes. Give app.listen() and "management.port" different ports. (${error.message})`;
  };
  server.on('error', onError);
}
