import { ObservabilityConfigError } from '../../lib';
import { resolveObservabilityOptions } from '../../lib/observability-options.resolver';

describe('resolveObservabilityOptions', () => {
  it('applies every default in one place', () => {
    const resolved = resolveObservabilityOptions({});
    expect(resolved.metrics).toEqual({
      enabled: true,
      path: '/metrics',
      endpoint: true,
      defaultMetrics: { prefix: '', promClientNames: false, eventLoopMonitoringPrecision: 10, gcDurationBuckets: [0.001, 0.01, 0.1, 1, 2, 5] },
      defaultLabels: {},
      http: {
        buckets: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
        excludePaths: [],
        unmatchedRouteLabel: 'UNMATCHED',
        maxRoutes: 1000,
      },
      timedBuckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      decorators: [],
      openTelemetry: { enabled: true, reader: null, globalProvider: true, scopeLabels: true, targetInfo: true },
      auth: null,
      cluster: false,
      renderDutyCycle: 0.25,
    });
    expect(resolveObservabilityOptions({ metrics: { renderDutyCycle: 1 } }).metrics.renderDutyCycle).toBe(1);
    expect(resolved.tracing).toEqual({
      enabled: true,
      excludePaths: [],
      exemplars: true,
      routeHandlers: true,
      rpc: true,
      interceptor: false,
      propagateOutgoing: true,
      trustIncomingSampling: true,
      tracerName: 'nestjs-observability',
      tracerProvider: null,
      flushTimeoutMs: 3000,
    });
    expect(resolveObservabilityOptions(undefined)).toEqual(resolved);
  });

  it('normalises a custom metrics path (its exclusion is the HTTP hook\'s, not a default list), and switches parts off', () => {
    expect(resolveObservabilityOptions({ metrics: { path: '/prom/' } }).metrics).toMatchObject({
      path: '/prom',
      http: { excludePaths: [] },
    });
    expect(resolveObservabilityOptions({ metrics: false }).metrics.enabled).toBe(false);
    // No endpoint, metrics still recorded (for the OTLP push); the default path stays excluded from traffic.
    expect(resolveObservabilityOptions({ metrics: { path: false } }).metrics).toMatchObject({ enabled: true, endpoint: false, path: '/metrics' });
    expect(resolveObservabilityOptions({ metrics: { http: false, defaultMetrics: false } }).metrics).toMatchObject({ http: false, defaultMetrics: false });
  });

  it('normalises endpoint paths: duplicate and trailing slashes dropped, and still no collision between other paths', () => {
    const resolved = resolveObservabilityOptions({ metrics: { path: '//ops//metrics/' }, health: { path: '/k8s//', probePaths: { readiness: '/ready/', startup: 'probes/startup' } } });
    expect(resolved.metrics.path).toBe('/ops/metrics');
    expect(resolved.health.path).toBe('/k8s');
    expect(resolved.health.probePaths).toEqual({ liveness: 'live', readiness: 'ready', startup: 'probes/startup' });
    // The metrics path may be anything but a probe's, and a switched-off part takes no path.
    expect(resolveObservabilityOptions({ metrics: { path: '/health' } }).metrics.path).toBe('/health');
    expect(resolveObservabilityOptions({ metrics: { path: '/health/ready' }, health: false }).metrics.path).toBe('/health/ready');
    expect(resolveObservabilityOptions({ health: { drainDelayMs: 2 ** 31 - 1 } }).health.drainDelayMs).toBe(2 ** 31 - 1);
  });

  it.each([
    [{ metrics: { path: 42 } }, 'Invalid option "metrics.path": expected a string that starts with "/", like "/metrics", made of literal segments'],
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
    [{ metrics: { renderDutyCycle: 0 } }, 'Invalid option "metrics.renderDutyCycle": expected a number greater than 0 and at most 1, like 0.25, got 0.'],
    [{ metrics: { renderDutyCycle: 25 } }, 'Invalid option "metrics.renderDutyCycle"'],
    [{ metrics: { renderDutyCycle: NaN } }, 'Invalid option "metrics.renderDutyCycle"'],
    [{ metrics: { pth: '/x' } }, 'Unknown option "metrics.pth". Did you mean "path"? Known options of "metrics": path, defaultMetrics'],
    [{ tracing: { exemplars: 'yes' } }, 'Invalid option "tracing.exemplars": expected a boolean, got "yes".'],
    [{ tracing: { trustIncomingSampling: 'no' } }, 'Invalid option "tracing.trustIncomingSampling": expected a boolean, got "no".'],
    [{ tracing: { excludePaths: '/metrics' } }, 'Invalid option "tracing.excludePaths"'],
    [{ tracing: { tracerProvider: {} } }, 'Invalid option "tracing.tracerProvider": expected an OpenTelemetry TracerProvider (with getTracer()), got an object.'],
    [{ tracing: { sampler: 1 } }, 'Unknown option "tracing.sampler". Known options of "tracing": excludePaths, exemplars, routeHandlers, rpc, interceptor'],
    [{ schedule: { bucket: [1] } }, 'Unknown option "schedule.bucket". Known options of "schedule": buckets.'],
    [{ events: { buckets: [2, 1] } }, 'Invalid option "events.buckets": expected a non-empty array of finite numbers in increasing order'],
    [{ events: 'yes' }, 'Invalid option "events": expected true, false or an object, got "yes".'],
    [{ metrix: {} }, 'Unknown option "options.metrix". Did you mean "metrics"? Known options of "options": metrics, tracing, health, management, httpClient, websockets, graphql, messaging, bullmq, schedule, events, pushgateway, isGlobal.'],
    [{ isglobal: true }, 'Unknown option "options.isglobal". Did you mean "isGlobal"?'],
    [{ metrics: { defaultMetrics: { promClientName: true } } }, 'Did you mean "promClientNames"?'],
    [{ metrics: 'yes' }, 'Invalid option "metrics": expected an object or false, got "yes".'],
    [{ metrics: { path: '/health/live/' } }, 'Options "metrics.path" and "health.probePaths.liveness" both put an endpoint on /health/live'],
    [{ health: { path: '/k8s', probePaths: { startup: 'READY', readiness: 'ready' } } }, 'Options "health.probePaths.readiness" and "health.probePaths.startup" both put an endpoint on /k8s/READY'],
    [{ metrics: { path: '/' } }, 'Invalid option "metrics.path"'],
    [{ metrics: { path: '/metrics?x=1' } }, 'Invalid option "metrics.path"'],
    [{ metrics: { path: '/metrics/(.*)' } }, 'Invalid option "metrics.path"'],
    [{ health: { probePaths: { readiness: '' } } }, 'Invalid option "health.probePaths.readiness"'],
    [{ health: { probePaths: [] } }, 'Invalid option "health.probePaths": expected an object'],
    [{ metrics: { defaultLabels: { __name__: 'x' } } }, 'Invalid option "metrics.defaultLabels.__name__"'],
    [{ health: { drainDelayMs: 2 ** 31 } }, 'Invalid option "health.drainDelayMs": expected a number of milliseconds from 0 to 2147483647'],
    [{ health: { liveness: { maxHeapUsedBytes: Infinity } } }, 'Invalid option "health.liveness.maxHeapUsedBytes"'],
  ])('rejects %j with a message that names the option', (options, message) => {
    expect(() => resolveObservabilityOptions(options as any)).toThrow(ObservabilityConfigError);
    expect(() => resolveObservabilityOptions(options as any)).toThrow(message);
  });
});
