/**
 * Options of `pushgateway`: pushes this module's metrics to a Prometheus Pushgateway, for batch jobs and
 * standalone apps (`NestFactory.createApplicationContext`) that may end before Prometheus scrapes them.
 * Pushes replace the group (HTTP PUT), on an interval and once more when the app closes.
 *
 * @example
 * { url: 'http://pushgateway:9091', job: 'orders-import', groupingKey: { instance: os.hostname() } }
 */
export interface PushgatewayOptions {
  /**
   * The Pushgateway's base URL (`http:` or `https:`), without `/metrics`.
   * @example 'http://pushgateway:9091'
   */
  url: string;
  /**
   * The `job` label of the pushed group.
   * @example 'orders-import'
   */
  job: string;
  /**
   * Further labels of the group, after `job`: two pushers with different keys do not overwrite each other.
   * @default {}
   * @example { instance: 'worker-1' }
   */
  groupingKey?: Record<string, string>;
  /**
   * How often to push while the app runs, ms. `0`: no interval, only at shutdown and on `push()`.
   * @default 15000
   */
  intervalMs?: number;
  /**
   * What to do with the group when the app closes: `'push'` the final values (a batch job's result stays
   * visible until the next run), `'delete'` the group (a long-running app that went away), or `'none'`.
   * @default 'push'
   */
  onShutdown?: 'push' | 'delete' | 'none';
  /**
   * How long one push or delete may take, ms; the shutdown waits at most this long for the last one.
   * @default 5000
   */
  timeoutMs?: number;
  /**
   * Extra request headers, e.g. `{ authorization: 'Bearer …' }` for a Pushgateway behind a proxy.
   * @default {}
   */
  headers?: Record<string, string>;
}

/** `pushgateway` after defaults were applied; `url` is the group's URL. */
export interface ResolvedPushgatewayOptions {
  enabled: boolean;
  /** `<url>/metrics/job/<job>/<label>/<value>…` */
  groupUrl: string;
  /** For messages: the group as `job="…", label="…"`. */
  group: string;
  intervalMs: number;
  onShutdown: 'push' | 'delete' | 'none';
  timeoutMs: number;
  headers: Record<string, string>;
}
