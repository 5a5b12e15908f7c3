import { ObservabilityConfigError } from '../../lib';
import { resolveObservabilityOptions } from '../../lib/observability-options.resolver';

describe('resolveObservabilityOptions', () => {
  it('applies every default in one place', () => {
    const resolved = resolveObservabilityOptions({});
    expect(resolved.metrics).toEqual({
      enabled: true,
      path: '/metrics',
      endpoint: true,
      defaultMetrics: { prefix: '', eventLoopMonitoringPrecision: 10, gcDurationBuckets: [0.001, 0.01, 0.1, 1, 2, 5] },
      defaultLabels: {},
      http: {
        buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
        excludePaths: ['/metrics', '/health', '/health/*'],
        unmatchedRouteLabel: 'UNMATCHED',
        maxRoutes: 1000,
      },
      timedBuckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      decorators: [],
      auth: null,
      cluster: false,
    });
    expect(resolved.tracing).toEqual({
      enabled: true,
      excludePaths: ['/metrics', '/health', '/health/*'],
      exemplars: true,
      routeHandlers: true,
      rpc: true,
      interceptor: false,
      propagateOutgoing: true,
      tracerName: 'nestjs-observability',
      tracerProvider: null,
    });
    expect(resolveObservabilityOptions(undefined)).toEqual(resolved);
  });

  it('excludes a custom metrics path by default, and switches parts off', () => {
    expect(resolveObservabilityOptions({ metrics: { path: '/prom/' } }).metrics).toMatchObject({
      path: '/prom',
      http: { excludePaths: ['/prom', '/health', '/health/*'] },
    });
    expect(resolveObservabilityOptions({ metrics: false }).metrics.enabled).toBe(false);
    // No endpoint, metrics still recorded (for the OTLP push); the default path stays excluded from traffic.
    expect(resolveObservabilityOptions({ metrics: { path: false } }).metrics).toMatchObject({ enabled: true, endpoint: false, path: '/metrics' });
    expect(resolveObservabilityOptions({ metrics: { http: false, defaultMetrics: false } }).metrics).toMatchObject({ http: false, defaultMetrics: false });
  });

  it.each([
    [{ metrics: { path: 42 } }, 'Invalid option "metrics.path": expected a string that starts with "/", like "/metrics", or false, got 42.'],
    [{ metrics: { path: 'metrics' } }, 'Invalid option "metrics.path": expected a string that starts with "/"'],
    [{ metrics: { http: { buckets: [1, 0.5] } } }, 'Invalid option "metrics.http.buckets": expected a non-empty array of finite numbers in increasing order'],
    [{ metrics: { http: { buckets: [] } } }, 'Invalid option "metrics.http.buckets"'],
    [{ metrics: { timedBuckets: ['1'] } }, 'Invalid option "metrics.timedBuckets"'],
    [{ metrics: { defaultLabels: { 'bad-name': 'x' } } }, 'Invalid option "metrics.defaultLabels.bad-name": expected a Prometheus label name'],
    [{ metrics: { defaultLabels: { service: 3 } } }, 'Invalid option "metrics.defaultLabels.service": expected a string value, got 3.'],
    [{ metrics: { defaultMetrics: { prefix: '1x' } } }, 'Invalid option "metrics.defaultMetrics.prefix"'],
    [{ metrics: { http: { excludePaths: ['metrics'] } } }, 'Invalid option "metrics.http.excludePaths"'],
    [{ metrics: { http: { maxRoutes: 0 } } }, 'Invalid option "metrics.http.maxRoutes": expected a whole number ≥ 1, got 0.'],
    [{ metrics: { decorators: ['Public'] } }, 'Invalid option "metrics.decorators"'],
    [{ metrics: { pth: '/x' } }, 'Unknown option "metrics.pth". Known options of "metrics": path, defaultMetrics'],
    [{ tracing: { exemplars: 'yes' } }, 'Invalid option "tracing.exemplars": expected a boolean, got "yes".'],
    [{ tracing: { excludePaths: '/metrics' } }, 'Invalid option "tracing.excludePaths"'],
    [{ tracing: { tracerProvider: {} } }, 'Invalid option "tracing.tracerProvider": expected an OpenTelemetry TracerProvider (with getTracer()), got an object.'],
    [{ tracing: { sampler: 1 } }, 'Unknown option "tracing.sampler". Known options of "tracing": excludePaths, exemplars, routeHandlers, rpc, interceptor'],
    [{ metrix: {} }, 'Unknown option "options.metrix". Known options of "options": metrics, tracing, health, management.'],
    [{ metrics: 'yes' }, 'Invalid option "metrics": expected an object or false, got "yes".'],
  ])('rejects %j with a message that names the option', (options, message) => {
    expect(() => resolveObservabilityOptions(options as any)).toThrow(ObservabilityConfigError);
    expect(() => resolveObservabilityOptions(options as any)).toThrow(message);
  });
});
