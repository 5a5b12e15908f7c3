/**
 * Options of the management server: `/metrics` and the health probes on a port of their own, served by
 * a plain `node:http` server outside Nest's pipeline (no global prefix, guards, interceptors, pipes,
 * filters or middleware), and no longer on the app's port. Like Spring Boot's `management.server.port`.
 *
 * @example
 * ObservabilityModule.forRoot({ management: { port: 9464 } })
 *
 * @example
 * // Loopback only, e.g. behind a sidecar that scrapes inside the pod:
 * ObservabilityModule.forRoot({ management: { port: 9464, host: '127.0.0.1' } })
 */
export interface ManagementOptions {
  /**
   * TCP port of the management server. `0` picks a free port; read it from `ManagementServer.port`.
   * A port in use fails the boot with a message that names it. Under `node:cluster` or pm2 cluster mode
   * every worker listens on the same port through the cluster's shared handle.
   * @example 9464
   */
  port: number;
  /**
   * Address to listen on. By default every interface, as `app.listen(port)` does, so that Prometheus
   * and the kubelet can reach it from outside the pod.
   * @default undefined (all interfaces)
   * @example '127.0.0.1'
   */
  host?: string;
}

/** Management options after defaults were applied. */
export interface ResolvedManagementOptions {
  enabled: boolean;
  port: number;
  host: string | undefined;
}
