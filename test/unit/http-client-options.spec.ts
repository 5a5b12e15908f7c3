import { resolveObservabilityOptions } from '../../lib/observability-options.resolver';
import { ObservabilityConfigError } from '../../lib/observability-config.error';
import { OutgoingCallFilter } from '../../lib/http-client/outgoing-call.filter';
import { httpTarget, redactedUrl, undiciTarget } from '../../lib/http-client/outgoing-call';

const resolve = (httpClient: unknown) => resolveObservabilityOptions({ httpClient } as never).httpClient;

describe('httpClient options', () => {
  it('is on by default, off with false', () => {
    expect(resolve(undefined)).toMatchObject({ enabled: true, allowHosts: null, denyHosts: [], excludeUrls: [], urlTemplates: [], maxServers: 100 });
    expect(resolve(false).enabled).toBe(false);
  });

  it.each([
    [{ nope: 1 }, /Unknown option "httpClient.nope"/],
    [{ hosts: { allow: ['bad host'] } }, /httpClient.hosts.allow/],
    [{ hosts: { only: [] } }, /Unknown option "httpClient.hosts.only"/],
    [{ excludeUrls: ['/relative'] }, /httpClient.excludeUrls/],
    [{ urlTemplates: ['prices/{item}'] }, /httpClient.urlTemplates/],
    [{ buckets: [1, 0.5] }, /httpClient.buckets/],
    [{ maxServers: 0 }, /httpClient.maxServers/],
    [{ rootSpans: 'yes' }, /httpClient.rootSpans/],
    ['yes', /httpClient/],
  ])('refuses %j', (input, message) => {
    expect(() => resolve(input)).toThrow(ObservabilityConfigError);
    expect(() => resolve(input)).toThrow(message);
  });
});

describe('OutgoingCallFilter', () => {
  const target = (url: string) => undiciTarget({ origin: new URL(url).origin, path: new URL(url).pathname + new URL(url).search, method: 'GET' })!;
  const filter = (httpClient: unknown, own?: number) => new OutgoingCallFilter(resolve(httpClient), (port) => port === own);

  it('applies allow, deny (wildcards and ports) and excludeUrls', () => {
    const f = filter({ hosts: { allow: ['*.example.com', 'pricing:8080'], deny: ['secret.example.com'] }, excludeUrls: ['HTTP://API.example.com/health', /\/ping$/] });
    expect(f.records(target('http://api.example.com/orders'))).toBe(true);
    expect(f.records(target('http://secret.example.com/orders'))).toBe(false);
    expect(f.records(target('http://pricing:8080/prices'))).toBe(true);
    expect(f.records(target('http://pricing:9090/prices'))).toBe(false);
    expect(f.records(target('http://api.example.com/health/live'))).toBe(false);
    expect(f.records(target('https://api.example.com/ping'))).toBe(false);
  });

  it('never records the app\'s own ports on a local address', () => {
    const f = filter({}, 9464);
    expect(f.records(target('http://127.0.0.1:9464/metrics'))).toBe(false);
    expect(f.records(target('http://localhost:9464/metrics'))).toBe(false);
    expect(f.records(target('http://metrics.example.com:9464/metrics'))).toBe(true);
  });

  it('matches templates segment by segment, the first that fits', () => {
    const f = filter({ urlTemplates: ['/prices/{item}', '/prices/{item}/history', '/{any}'] });
    expect(f.template(target('http://p/prices/book?x=1').path)).toBe('/prices/{item}');
    expect(f.template(target('http://p/prices/book/history').path)).toBe('/prices/{item}/history');
    expect(f.template(target('http://p/prices/').path)).toBeUndefined();
    expect(f.template(target('http://p/a/b/c/d').path)).toBeUndefined();
  });
});

describe('url.full', () => {
  it('redacts every query value and drops the fragment, credentials and default ports', () => {
    const shop = undiciTarget({ origin: 'https://shop.example.com:443', path: '/a?token=x&sig=y&flag#frag', method: 'GET' })!;
    expect(redactedUrl(shop, shop.path)).toBe(
      'https://shop.example.com/a?token=REDACTED&sig=REDACTED&flag',
    );
    const request = { method: 'POST', protocol: 'http:', host: '::1', path: '/b?password=p', getHeader: () => 'user:pw@[::1]:8080' };
    const local = httpTarget(request)!;
    expect(redactedUrl(local, local.path)).toBe('http://[::1]:8080/b?password=REDACTED');
  });
});
