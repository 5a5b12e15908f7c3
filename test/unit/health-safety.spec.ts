import { resolveObservabilityOptions } from '../../lib/observability-options.resolver';
import { ObservabilityConfigError } from '../../lib';
import { toJsonSafeDetails } from '../../lib/health/json-safe-details';
import { redactSecrets } from '../../lib/redaction/secret-redaction';

describe('redactSecrets', () => {
  it.each([
    ['connect ECONNREFUSED postgres://orders_admin:S3cr3t-P4ss@db.internal:5432/orders', 'connect ECONNREFUSED postgres://orders_admin:***@db.internal:5432/orders'],
    ['redis://:hunter2@cache:6379/0', 'redis://:***@cache:6379/0'],
    ['clone https://ghp_abcdef123456@github.com/x/y failed', 'clone https://***@github.com/x/y failed'],
    ['GET https://api.example/v1?api_key=abc123&page=2 -> 401', 'GET https://api.example/v1?api_key=***&page=2 -> 401'],
    ['Server=db;User Id=sa;Password=Pa55;', 'Server=db;User Id=sa;Password=***;'],
    ['rejected header Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig', 'rejected header Authorization: Bearer ***'],
    ['password authentication failed for user "orders"', 'password authentication failed for user "orders"'],
    ['http://db.internal:5432 is down', 'http://db.internal:5432 is down'],
  ])('%s', (text, expected) => {
    expect(redactSecrets(text)).toBe(expected);
  });
});

describe('toJsonSafeDetails', () => {
  it('copies what JSON can write as is, and lists nothing', () => {
    const details = { a: 1, b: 'x', c: [1, { d: null }], e: new Date(0) };
    expect(toJsonSafeDetails(details)).toEqual({ details: { a: 1, b: 'x', c: [1, { d: null }], e: '1970-01-01T00:00:00.000Z' }, replaced: [] });
  });

  it('keeps shared (non-circular) references, replaces circular ones, deep ones, throwing toJSON, and Proxies that throw', () => {
    const shared = { n: 1 };
    const deep: Record<string, unknown> = {};
    let cursor = deep;
    for (let i = 0; i < 12; i++) cursor = (cursor.next = {}) as Record<string, unknown>;
    const bad = { toJSON: () => { throw new Error('nope'); } };
    const trap = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
    const { details, replaced } = toJsonSafeDetails({ x: shared, y: shared, deep, bad, fn: () => 1, err: new Error('boom: postgres://u:p@h/db') });
    expect(details.x).toEqual({ n: 1 });
    expect(details.y).toEqual({ n: 1 });
    expect(JSON.stringify(details)).toContain('[unserializable: nested deeper than 8 levels]');
    expect(details.bad).toBe('[unserializable: toJSON() threw "nope"]');
    expect(details).not.toHaveProperty('fn');
    expect(details.err).toBe('boom: postgres://u:***@h/db');
    expect(replaced).toHaveLength(2);
    expect(toJsonSafeDetails({ trap }).details.trap).toEqual(expect.stringContaining('[unserializable'));
  });
});

describe('shutdown options', () => {
  it('defaults health.shutdownTimeoutMs to 10 s and tracing.flushTimeoutMs to 3 s', () => {
    const resolved = resolveObservabilityOptions({});
    expect(resolved.health.shutdownTimeoutMs).toBe(10_000);
    expect(resolved.tracing.flushTimeoutMs).toBe(3000);
    expect(resolved.health.maxAbandonedChecks).toBe(2);
    expect(resolved.health.maxBodyBytes).toBe(65536);
  });

  it.each([
    [{ health: { shutdownTimeoutMs: -1 } }, 'health.shutdownTimeoutMs'],
    [{ health: { shutdownTimeoutMs: 3e9 } }, 'health.shutdownTimeoutMs'],
    [{ tracing: { flushTimeoutMs: 'soon' as unknown as number } }, 'tracing.flushTimeoutMs'],
    [{ health: { maxAbandonedChecks: 0 } }, 'health.maxAbandonedChecks'],
    [{ health: { maxAbandonedChecks: 4 } }, 'health.maxAbandonedChecks'],
    [{ health: { maxAbandonedChecks: 1.5 } }, 'health.maxAbandonedChecks'],
    [{ health: { maxBodyBytes: 10 } }, 'health.maxBodyBytes'],
  ])('refuses %j', (options, option) => {
    expect(() => resolveObservabilityOptions(options)).toThrow(ObservabilityConfigError);
    expect(() => resolveObservabilityOptions(options)).toThrow(option);
  });
});
