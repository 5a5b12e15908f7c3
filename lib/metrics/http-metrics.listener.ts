import { Inject, Injectable, Logger } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { HttpExchange, HttpExchangeListener } from '../instrumentation/http-exchange.interface';
import { normalizeMethod, recordedStatus } from '../instrumentation/http-route';
import { OBSERVABILITY_RESOLVED_OPTIONS } from '../observability.constants';
import { ResolvedHttpMetricsOptions, ResolvedObservabilityOptions } from '../observability-options.interface';
import { LeanHistogram, LeanHistogramChild } from './lean-histogram.metric';
import { MetricsService } from './metrics.service';
import { PathMatcher } from './path-matcher';

const EXCLUDED = Symbol('excluded');

/**
 * Distinct `http_response_status_code` values recorded as themselves; later new codes are recorded as their class
 * (`4xx`). An app uses a dozen; a handler that echoes a status from the request could otherwise make 500 per route.
 */
export const MAX_STATUS_CODES = 50;

/** The label of a status outside 100–599 (Node accepts up to 999): one value, as `_OTHER` for unknown methods. */
export const OTHER_STATUS = '_OTHER';

/**
 * Records `http_server_request_duration_seconds{http_request_method, http_route, http_response_status_code}`
 * (OpenTelemetry's `http.server.request.duration` as Prometheus exports it) and
 * `http_server_active_requests`, from the adapter-level hook. Labels are bounded: unknown methods are `_OTHER`,
 * routes beyond `metrics.http.maxRoutes` are `OTHER`, a status outside 100–599 is `_OTHER`, and status codes beyond
 * the first 50 distinct ones are recorded by class (`4xx`).
 */
@Injectable()
export class HttpMetricsListener implements HttpExchangeListener {
  private readonly logger = new Logger('ObservabilityModule');
  private readonly options: ResolvedHttpMetricsOptions;
  private readonly histogram: LeanHistogram;
  private readonly excluded: PathMatcher;
  private readonly children = new Map<string, LeanHistogramChild>();
  private readonly routes = new Set<string>();
  private readonly exemplars: boolean;
  private active = 0;
  private overflowWarned = false;
  private readonly statuses = new Set<string>();
  private statusOverflowWarned = false;

  constructor(metrics: MetricsService, @Inject(OBSERVABILITY_RESOLVED_OPTIONS) resolved: ResolvedObservabilityOptions) {
    this.options = resolved.metrics.http as ResolvedHttpMetricsOptions;
    this.excluded = new PathMatcher(this.options.excludePaths);
    this.exemplars = resolved.tracing.enabled && resolved.tracing.exemplars;
    this.histogram = metrics.leanHistogram(
      'http_server_request_duration_seconds',
      'Duration of HTTP server requests in seconds.',
      ['http_request_method', 'http_route', 'http_response_status_code'],
      this.options.buckets,
      'the HTTP server metrics of ObservabilityModule',
    );
    const self = this;
    const gauge: Gauge = metrics.gauge({
      name: 'http_server_active_requests',
      help: 'Number of HTTP server requests in flight.',
      collect() {
        gauge.set(self.active);
      },
    });
  }

  onRequest(exchange: HttpExchange): void {
    if (this.excluded.matches(exchange.path)) {
      (exchange as any)[EXCLUDED] = true;
      return;
    }
    this.active++;
  }

  onResponse(exchange: HttpExchange): void {
    if ((exchange as any)[EXCLUDED]) return;
    this.active--;
    const seconds = (performance.now() - exchange.start) / 1000;
    const method = normalizeMethod(exchange.method);
    const route = this.routeLabel(exchange.route);
    const status = this.statusLabel(recordedStatus(exchange));
    const key = `${method} ${status} ${route}`;
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.histogram.child({ http_request_method: method, http_route: route, http_response_status_code: status });
      this.children.set(key, child);
    }
    child.observeInSpan(seconds, this.exemplars ? exchange.span?.spanContext() : undefined);
  }

  private statusLabel(status: number): string {
    if (!Number.isInteger(status) || status < 100 || status > 599) return OTHER_STATUS;
    const label = String(status);
    if (this.statuses.has(label)) return label;
    if (this.statuses.size >= MAX_STATUS_CODES) {
      if (!this.statusOverflowWarned) {
        this.statusOverflowWarned = true;
        this.logger.warn(
          `More than ${MAX_STATUS_CODES} distinct HTTP status codes were seen; further codes are recorded by class ` +
            `(http_response_status_code="${label[0]}xx"). A handler probably sets the status from its input.`,
        );
      }
      return `${label[0]}xx`;
    }
    this.statuses.add(label);
    return label;
  }

  private routeLabel(route: string | undefined): string {
    if (route === undefined) return this.options.unmatchedRouteLabel;
    if (this.routes.has(route)) return route;
    if (this.routes.size >= this.options.maxRoutes) {
      if (!this.overflowWarned) {
        this.overflowWarned = true;
        this.logger.warn(
          `More than ${this.options.maxRoutes} distinct HTTP routes were seen; further routes are recorded as http_route="OTHER". ` +
            `Raise "metrics.http.maxRoutes" if this service really has that many routes.`,
        );
      }
      return 'OTHER';
    }
    this.routes.add(route);
    return route;
  }
}
