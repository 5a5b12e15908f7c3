import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ClientCallRecorder } from '../../lib/http-client/client-call.recorder';
import { DestinationCache } from '../../lib/http-client/destination.cache';
import { resolveHttpClientOptions } from '../../lib/http-client/http-client-options.resolver';
import { OutgoingCallFilter } from '../../lib/http-client/outgoing-call.filter';
import { PropagationHeaders } from '../../lib/http-client/propagation-headers';
import { LeanHistogram } from '../../lib/metrics/lean-histogram.metric';

const LABELS = ['http_request_method', 'server_address', 'server_port', 'http_response_status_code', 'error_type'];

function recorder(maxServers = 100) {
  const options = resolveHttpClientOptions({ maxServers });
  const filter = new OutgoingCallFilter(options, () => false);
  const histogram = new LeanHistogram('http_client_request_duration_seconds', 'test', LABELS, options.buckets);
  return { histogram, destinations: new DestinationCache(filter), recorder: new ClientCallRecorder(null, histogram, filter, options, false) };
}

const counts = (histogram: LeanHistogram) => Object.fromEntries([...histogram.series()].map((c) => [Object.values(c.labels).join(' '), c.count]));

describe('ClientCallRecorder, with the per-destination caches', () => {
  it('puts each call in the series of its own method, status and error, whatever the last call was', () => {
    const { histogram, destinations, recorder: r } = recorder();
    const pricing = destinations.ofOrigin('http://pricing:8080')!;
    const call = (method: string, status: number | undefined, error?: unknown) => r.end(r.begin(pricing, method, '/p', ROOT_CONTEXT, false)!, status, error);
    call('GET', 200);
    call('GET', 500);
    call('GET', 200);
    call('POST', 200);
    call('GET', undefined, Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }));
    call('GET', 200);
    expect(counts(histogram)).toEqual({
      'GET pricing 8080 200 ': 3,
      'GET pricing 8080 500 500': 1,
      'POST pricing 8080 200 ': 1,
      'GET pricing 8080  ECONNREFUSED': 1,
    });
    expect(destinations.ofOrigin('http://pricing:8080')).toBe(pricing);
  });

  it('keeps OTHER for servers past maxServers, also when the destination is parsed again', () => {
    const { histogram, destinations, recorder: r } = recorder(1);
    for (const origin of ['http://a:1', 'http://b:2', 'http://b:2']) r.end(r.begin(destinations.ofOrigin(origin)!, 'GET', '/', ROOT_CONTEXT, false)!, 200);
    r.end(r.begin(recorder(1).destinations.ofOrigin('http://b:2')!, 'GET', '/', ROOT_CONTEXT, false)!, 200);
    expect(counts(histogram)).toEqual({ 'GET a 1 200 ': 1, 'GET OTHER  200 ': 3 });
  });
});

describe('PropagationHeaders', () => {
  beforeAll(() => propagation.setGlobalPropagator(new W3CTraceContextPropagator()));
  afterAll(() => propagation.disable());

  const parent = (spanId: string) => trace.setSpanContext(context.active(), { traceId: '0af7651916cd43dd8448eb211c80319c', spanId, traceFlags: 0 });

  it("builds a context's headers once, and never hands one context's traceparent to another", () => {
    const headers = new PropagationHeaders();
    const a = parent('b7ad6b7169203331');
    const b = parent('00f067aa0ba902b7');
    expect(headers.of(a)).toEqual({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00' });
    expect(headers.of(a)).toBe(headers.of(a));
    expect(headers.of(b)).toEqual({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-00' });
    expect(headers.of(a).traceparent).toContain('b7ad6b7169203331');
  });

  it('leaves a traceparent the request has alone, and adds the rest', () => {
    const headers = new PropagationHeaders();
    const request = { headers: ['Traceparent', 'mine'], addHeader(name: string, value: string) { this.headers.push(name, value); } };
    headers.injectIntoUndici(parent('b7ad6b7169203331'), request, true);
    expect(request.headers).toEqual(['Traceparent', 'mine']);
    const fresh = { headers: ['accept', '*/*'], addHeader(name: string, value: string) { this.headers.push(name, value); } };
    headers.injectIntoUndici(parent('b7ad6b7169203331'), fresh, false);
    expect(fresh.headers).toEqual(['accept', '*/*', 'traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00']);
  });
});
