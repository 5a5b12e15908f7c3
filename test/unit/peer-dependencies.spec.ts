/** A missing peer dependency fails with the package, what it is for, and the npm command to install it. */
import { ObservabilityConfigError } from '../../lib';
import { checkRequiredPeers, resolvePeer } from '../../lib/peer-dependencies.check';

/** Node's resolution with `missing` not installed, and `@nestjs/core` at `nestVersion`. */
function resolverWithout(missing: string, nestVersion: string) {
  return (name: string): string => {
    if (name === missing) throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
    if (name === '@nestjs/core/package.json') return `${require('node:os').tmpdir()}/fake-nest-core-${nestVersion}.json`;
    return require.resolve(name);
  };
}

describe('missing peer dependencies', () => {
  beforeAll(() => {
    const { writeFileSync } = require('node:fs') as typeof import('node:fs');
    for (const version of ['11.1.6', '12.5.1']) writeFileSync(`${require('node:os').tmpdir()}/fake-nest-core-${version}.json`, JSON.stringify({ version }));
  });

  it('@nestjs/terminus on a Nest 11 app: the Nest 11 line', () => {
    expect(() => checkRequiredPeers(resolverWithout('@nestjs/terminus', '11.1.6'))).toThrow(
      new ObservabilityConfigError(
        'nestjs-observability needs the package "@nestjs/terminus" for the health probes (loaded even when health is false), and it is not installed. ' +
          'Install it with: npm i @nestjs/terminus@^11 (Nest 11: terminus 11; terminus 12 is ESM only).',
      ),
    );
  });

  it('@nestjs/terminus on a Nest 12 app: the Nest 12 line', () => {
    expect(() => checkRequiredPeers(resolverWithout('@nestjs/terminus', '12.5.1'))).toThrow('Install it with: npm i @nestjs/terminus@^12 (Nest 12; on Nest 11 use @nestjs/terminus@^11).');
  });

  it('@opentelemetry/sdk-node for startObservabilitySdk()', () => {
    expect(() => resolvePeer('@opentelemetry/sdk-node', resolverWithout('@opentelemetry/sdk-node', '12.5.1'))).toThrow(
      'nestjs-observability needs the package "@opentelemetry/sdk-node" for startObservabilitySdk(), the register preload and ObservabilityTestingModule, and it is not installed. Install it with: npm i @opentelemetry/sdk-node@^0.301.',
    );
  });

  it('prom-client', () => {
    expect(() => checkRequiredPeers(resolverWithout('prom-client', '12.5.1'))).toThrow('Install it with: npm i prom-client@^15.');
  });

  it('all installed: no error; another failure than a missing module is rethrown as is', () => {
    expect(() => checkRequiredPeers()).not.toThrow();
    const broken = new Error('EACCES');
    expect(() =>
      resolvePeer('prom-client', () => {
        throw broken;
      }),
    ).toThrow(broken);
  });
});
