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
 * Records `http_server_request_duration_seconds{http_request_method, http_route, http_response_status_code}`
 * (OpenTelemetry's `http.server.request.duration` as Prometheus exports it) and
 * `http_server_active_requests`, from the adapter-level hook.
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
    const status = recordedStatus(exchange);
    const key = `${method} ${status} ${route}`;
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.histogram.child({ http_request_method: method, http_route: route, http_response_status_code: String(status) });
      this.children.set(key, child);
    }
    child.observeInSpan(seconds, this.exemplars ? exchange.span?.spanContext() : undefined);
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
