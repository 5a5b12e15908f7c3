import { ObservabilityConfigError } from '../../lib';
import { MetricsAuthChecker } from '../../lib/metrics/metrics-auth.checker';
import { resolveObservabilityOptions } from '../../lib/observability-options.resolver';

describe('management and metrics.auth options', () => {
  it('leaves the management server off and /metrics open by default', () => {
    const resolved = resolveObservabilityOptions({});
    expect(resolved.management).toEqual({ enabled: false, port: 0, host: undefined });
    expect(resolved.metrics.auth).toBeNull();
    expect(resolveObservabilityOptions({ management: false }).management.enabled).toBe(false);
  });

  it('resolves a management port and host, and both auth schemes', () => {
    expect(resolveObservabilityOptions({ management: { port: 9464, host: '127.0.0.1' } }).management).toEqual({ enabled: true, port: 9464, host: '127.0.0.1' });
    expect(resolveObservabilityOptions({ metrics: { auth: { bearerToken: 'abc' } } }).metrics.auth).toEqual({ scheme: 'bearer', bearerToken: 'abc' });
    expect(resolveObservabilityOptions({ metrics: { auth: { username: 'u', password: 'p w' } } }).metrics.auth).toEqual({ scheme: 'basic', username: 'u', password: 'p w' });
  });

  it.each([
    [{ management: { port: 70000 } }, 'Invalid option "management.port": expected a whole number from 0 to 65535 (0 picks a free port), got 70000.'],
    [{ management: { port: '9464' } }, 'Invalid option "management.port"'],
    [{ management: {} }, 'Invalid option "management.port"'],
    [{ management: { port: 9464, host: '' } }, 'Invalid option "management.host"'],
    [{ management: { port: 9464, path: '/x' } }, 'Unknown option "management.path". Known options of "management": port, host.'],
    [{ management: 9464 }, 'Invalid option "management": expected an object like { port: 9464 }, or false, got 9464.'],
    [{ management: { port: 9464 }, metrics: false, health: false }, 'Option "management" serves /metrics and the health probes, but there is neither'],
    [{ management: { port: 9464 }, metrics: { path: false }, health: false }, 'Option "management" serves /metrics and the health probes, but there is neither'],
    [{ metrics: { auth: 'token' } }, 'Invalid option "metrics.auth": expected an object { bearerToken } or { username, password }.'],
    [{ metrics: { auth: {} } }, 'Invalid option "metrics.auth"'],
    [{ metrics: { auth: { bearerToken: '' } } }, 'Invalid option "metrics.auth.bearerToken"'],
    [{ metrics: { auth: { bearerToken: 'has space' } } }, 'Invalid option "metrics.auth.bearerToken"'],
    [{ metrics: { auth: { bearerToken: 'a', username: 'u' } } }, 'Unknown option "metrics.auth.username"'],
    [{ metrics: { auth: { username: 'a:b', password: 'p' } } }, 'Invalid option "metrics.auth.username": expected a non-empty string without ":"'],
    [{ metrics: { auth: { username: 'u' } } }, 'Invalid option "metrics.auth.password"'],
  ])('rejects %j with a message that names the option', (options, message) => {
    expect(() => resolveObservabilityOptions(options as any)).toThrow(ObservabilityConfigError);
    expect(() => resolveObservabilityOptions(options as any)).toThrow(message);
  });

  it('never repeats a credential in its error messages', () => {
    for (const auth of [{ bearerToken: 'secret token' }, { username: 'se:cret', password: 'secret' }, { username: 'user', password: 42 }]) {
      let message = '';
      try {
        resolveObservabilityOptions({ metrics: { auth: auth as any } });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^Invalid option "metrics\.auth\./);
      expect(message).not.toMatch(/secret|se:cret|42/);
    }
  });
});

describe('MetricsAuthChecker', () => {
  const bearer = new MetricsAuthChecker({ scheme: 'bearer', bearerToken: 'tok' });
  const basic = new MetricsAuthChecker({ scheme: 'basic', username: 'u', password: 'p:w' });
  const b64 = (s: string) => Buffer.from(s).toString('base64');

  it('accepts exactly the configured credentials, scheme name in any case', () => {
    expect(bearer.accepts('Bearer tok')).toBe(true);
    expect(bearer.accepts('bearer tok')).toBe(true);
    expect(bearer.accepts('BEARER  tok ')).toBe(true);
    expect(basic.accepts(`Basic ${b64('u:p:w')}`)).toBe(true);
    expect(basic.accepts(`basic ${b64('u:p:w')}`)).toBe(true);
  });

  it('refuses anything else', () => {
    for (const header of [undefined, '', 'Bearer', 'Bearer ', 'Bearer to', 'Bearer tokk', 'tok', 'Basic tok', ['Bearer tok']]) {
      expect({ header, ok: bearer.accepts(header as any) }).toEqual({ header, ok: false });
    }
    for (const header of [`Basic ${b64('u:p')}`, `Basic ${b64('u:p:w:')}`, `Bearer ${b64('u:p:w')}`, `Basic ${b64('U:p:w')}`, 'Basic']) {
      expect({ header, ok: basic.accepts(header) }).toEqual({ header, ok: false });
    }
  });

  it('challenges with the configured scheme', () => {
    expect(bearer.challenge).toBe('Bearer realm="metrics"');
    expect(basic.challenge).toBe('Basic realm="metrics", charset="UTF-8"');
  });
});
