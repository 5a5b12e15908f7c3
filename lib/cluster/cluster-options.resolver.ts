import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { ObservabilityConfigError } from '../observability-config.error';
import { MAX_TIMER_MS } from '../observability.constants';
import { ClusterMetricsOptions, ResolvedClusterMetricsOptions } from './cluster-options.interface';

const KEYS = ['directory', 'app', 'snapshotIntervalMs', 'peerTimeoutMs', 'expectedWorkers', 'missingWorkersGraceMs', 'perWorker'];
/** Room left in a unix socket path (104 bytes on macOS, 108 on Linux) for `/w-<pid>-<nonce>.sock`. */
const MAX_DIRECTORY_LENGTH = 103 - '/w-4294967295-0123456789ab.sock'.length;

/**
 * Applies the defaults of `metrics.cluster` and validates it (called by `resolveObservabilityOptions`,
 * the one place where options are resolved). The defaults read the environment: pm2's app name and
 * `instances`, `NESTJS_OBSERVABILITY_CLUSTER_DIR`, the main script.
 */
export function resolveClusterOptions(
  input: boolean | ClusterMetricsOptions | undefined,
  env: NodeJS.ProcessEnv = process.env,
): false | ResolvedClusterMetricsOptions {
  if (input === undefined || input === false) return false;
  const c = input === true ? {} : input;
  if (typeof c !== 'object' || c === null || Array.isArray(c)) {
    throw ObservabilityConfigError.invalidOption('metrics.cluster', 'true, false or an object', c);
  }
  for (const key of Object.keys(c)) {
    if (!KEYS.includes(key)) throw new ObservabilityConfigError(`Unknown option "metrics.cluster.${key}". Known options of "metrics.cluster": ${KEYS.join(', ')}.`);
  }
  const app = c.app ?? defaultAppName(env);
  if (typeof app !== 'string' || app === '') throw ObservabilityConfigError.invalidOption('metrics.cluster.app', 'a non-empty string', app);
  const directory = c.directory ?? env.NESTJS_OBSERVABILITY_CLUSTER_DIR ?? join(defaultBase(), `nestjs-observability-${createHash('sha256').update(app).digest('hex').slice(0, 12)}`);
  if (typeof directory !== 'string' || directory === '') {
    throw ObservabilityConfigError.invalidOption('metrics.cluster.directory', 'a directory path', directory);
  }
  const absolute = resolve(directory);
  if (absolute.length > MAX_DIRECTORY_LENGTH) {
    throw ObservabilityConfigError.invalidOption(
      'metrics.cluster.directory',
      `a path of at most ${MAX_DIRECTORY_LENGTH} characters (the workers' unix sockets live in it)`,
      absolute,
    );
  }
  const count = (key: 'snapshotIntervalMs' | 'peerTimeoutMs' | 'missingWorkersGraceMs' | 'expectedWorkers', fallback: number, min: number) => {
    const value = c[key] ?? fallback;
    const max = key.endsWith('Ms') ? MAX_TIMER_MS : Number.MAX_SAFE_INTEGER;
    if (!Number.isInteger(value) || value < min || value > max) throw ObservabilityConfigError.invalidOption(`metrics.cluster.${key}`, `a whole number from ${min} to ${max}`, value);
    return value;
  };
  const pm2Instances = Number(env.instances);
  const perWorker = c.perWorker ?? [];
  if (!Array.isArray(perWorker) || perWorker.some((n) => typeof n !== 'string' || n === '')) {
    throw ObservabilityConfigError.invalidOption('metrics.cluster.perWorker', 'an array of metric names', perWorker);
  }
  return {
    directory: isAbsolute(directory) ? directory : absolute,
    app,
    snapshotIntervalMs: count('snapshotIntervalMs', 5000, 100),
    peerTimeoutMs: count('peerTimeoutMs', 2000, 10),
    expectedWorkers: count('expectedWorkers', isPm2(env) && Number.isInteger(pm2Instances) && pm2Instances > 0 ? pm2Instances : 0, 0),
    missingWorkersGraceMs: count('missingWorkersGraceMs', 30_000, 0),
    perWorker: [...perWorker],
  };
}

function isPm2(env: NodeJS.ProcessEnv): boolean {
  return env.pm_id !== undefined && typeof env.name === 'string' && env.name !== '';
}

/** pm2's app name (two pm2 apps of one script are two apps), else the main script's path. */
function defaultAppName(env: NodeJS.ProcessEnv): string {
  if (isPm2(env)) return `pm2:${env.name}`;
  return `script:${resolve(process.argv[1] ?? process.cwd())}`;
}

/**
 * Where the default directory goes: `/dev/shm` on Linux (memory, not disk: a snapshot written at every
 * scrape costs a third of what it costs on a disk-backed /tmp), the OS temp dir elsewhere.
 */
export function defaultBase(): string {
  return process.platform === 'linux' && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
}
