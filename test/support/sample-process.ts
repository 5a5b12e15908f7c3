/**
 * The built sample as real processes, for e2e tests: build it with tsc into a folder of the test's own
 * (under the repo's `.tmp/`, so that `node_modules` resolves and no other suite's build is touched), start
 * `sample/main.js` (which forks the pricing service), wait for it, stop it.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
/** The project's Node 24 (the `node` devDependency), as the npm scripts use it. */
export const NODE = join(ROOT, 'node_modules', '.bin', 'node');

export { freePort } from './free-port';

/** A new folder under `<repo>/.tmp/` (git-ignored), for builds and data that must resolve `node_modules`. */
export function repoTempDir(prefix: string): string {
  mkdirSync(join(ROOT, '.tmp'), { recursive: true });
  return mkdtempSync(join(ROOT, '.tmp', `${prefix}-`));
}

/** Compiles `sample/` and `lib/` into `outDir` (what `npm run build:sample` does into `dist-sample/`); returns the orders entry point. */
export function buildSample(outDir: string): string {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = spawnSync(NODE, [tsc, '-p', join(ROOT, 'sample', 'tsconfig.app.json'), '--outDir', outDir], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`Building the sample failed:\n${build.stdout}${build.stderr}`);
  return join(outDir, 'sample', 'main.js');
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** `true` while a process with this pid exists. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The sample's orders process (which starts the pricing process); its output is kept for diagnostics. */
export class SampleProcess {
  readonly child: ChildProcess;
  output = '';
  readonly exited: Promise<ProcessExit>;

  constructor(mainJs: string, env: Record<string, string>) {
    // The test runner's NODE_OPTIONS (--experimental-vm-modules) is not for the sample, nor are the
    // npm_* variables of `npm test`: the sample runs as `node main.js`, the way the Dockerfile starts it.
    const parentEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'NODE_OPTIONS' && !key.startsWith('npm_')));
    this.child = spawn(NODE, [mainJs], { env: { ...parentEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk) => (this.output += chunk));
    this.child.stderr!.on('data', (chunk) => (this.output += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves once the orders service logged that it listens. */
  async listening(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!/listening on http:\/\/127\.0\.0\.1:\d+/.test(this.output)) {
      if (Date.now() > deadline || !this.running) throw new Error(`The sample did not start:\n${this.output}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`; resolves with how it exited. */
  async stop(timeoutMs = 10_000): Promise<ProcessExit> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exited;
  }
}
