import { ObservabilityConfigError } from './observability-config.error';

type Resolve = (name: string) => string;

/** What each peer is for, and the range to install (a function of the app's Nest major for Nest's own packages). */
const PEERS: Record<string, { for: string; range: (nestMajor: string | undefined) => string }> = {
  '@nestjs/terminus': { for: 'the health probes (loaded even when health is false)', range: (major) => (major === '11' ? '^11' : '^12') },
  'prom-client': { for: 'the metrics Registry', range: () => '^15' },
  '@willsoto/nestjs-prometheus': { for: 'the /metrics controller', range: () => '^6' },
  '@opentelemetry/api': { for: 'tracing', range: () => '~1.10' },
  '@opentelemetry/sdk-node': { for: 'startObservabilitySdk(), the register preload and ObservabilityTestingModule', range: () => '^0.301' },
};

function nestMajor(resolve: Resolve): string | undefined {
  try {
    return /^(\d+)\./.exec((require(resolve('@nestjs/core/package.json')) as { version: string }).version)?.[1];
  } catch {
    return undefined;
  }
}

/** The error for a peer dependency that is not installed: which package, what for, and the command. */
export function missingPeerError(name: string, resolve: Resolve = require.resolve): ObservabilityConfigError {
  const peer = PEERS[name];
  const major = nestMajor(resolve);
  const spec = `${name}@${peer ? peer.range(major) : 'latest'}`;
  return new ObservabilityConfigError(
    `nestjs-observability needs the package "${name}"${peer ? ` for ${peer.for}` : ''}, and it is not installed. ` +
      `Install it with: npm i ${spec}` +
      (name === '@nestjs/terminus' ? ` (${major === '11' ? 'Nest 11: terminus 11; terminus 12 is ESM only' : 'Nest 12; on Nest 11 use @nestjs/terminus@^11'}).` : '.'),
  );
}

/** `require.resolve(name)`, or the "install X with npm i X" error when it is missing. */
export function resolvePeer(name: string, resolve: Resolve = require.resolve): string {
  try {
    return resolve(name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') throw missingPeerError(name, resolve);
    throw error;
  }
}

/** Checks the peers the package loads as soon as it is imported; the optional ones are checked where they are used. */
export function checkRequiredPeers(resolve: Resolve = require.resolve): void {
  for (const name of ['@nestjs/terminus', 'prom-client', '@willsoto/nestjs-prometheus', '@opentelemetry/api']) resolvePeer(name, resolve);
}
