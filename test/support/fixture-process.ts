/**
 * A compiled Nest fixture run as its own process (Node 24, none of Jest's NODE_OPTIONS) that prints
 * `LISTENING <port>` once it listens; its output is kept for diagnostics.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { NODE, ROOT } from './sample-process';

/** Compiles the fixture folder's `tsconfig.json` (its files and `lib/`) into `outDir`. */
export function buildFixture(tsconfig: string, outDir: string): void {
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const out = spawnSync(NODE, [tsc, '-p', tsconfig, '--outDir', outDir], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`Building ${tsconfig} failed:\n${out.stdout}${out.stderr}`);
}

export class FixtureProcess {
  output = '';
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static start(script: string, env: Record<string, string>, timeoutMs = 60_000): Promise<FixtureProcess> {
    const { NODE_OPTIONS: _ignored, ...parentEnv } = process.env;
    const child = spawn(NODE, [script], {
      env: { ...parentEnv, PATH: `${join(ROOT, 'node_modules', '.bin')}${delimiter}${parentEnv.PATH ?? ''}`, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${script} did not listen within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      child.stderr!.on('data', (chunk) => (output += chunk));
      child.stdout!.on('data', (chunk) => {
        output += chunk;
        const match = /LISTENING (\d+)/.exec(output);
        if (match && !child.killed) {
          clearTimeout(timer);
          const fixture = new FixtureProcess(child, Number(match[1]));
          fixture.output = output;
          child.stdout!.on('data', (c) => (fixture.output += c));
          child.stderr!.on('data', (c) => (fixture.output += c));
          resolve(fixture);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${script} exited (code ${code}, signal ${signal}) before it listened:\n${output}`));
      });
    });
  }

  /** SIGTERM, SIGKILL after `timeoutMs`; resolves once the process exited. */
  async stop(timeoutMs = 15_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }
}
