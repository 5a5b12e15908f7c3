/**
 * The README's "run the sample" command, `npm start`, as a user runs it: a SIGTERM to the npm process
 * (what a process manager or `kill <pid>` sends) must stop the orders service *and* the pricing service it
 * started, and free both ports. Nothing may be left running, orphaned. The start script `exec`s node, so
 * no shell sits between npm (which forwards SIGTERM to its child) and the orders process.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { accepts } from '../support/owned-process';
import { freePort, isRunning, ROOT } from '../support/sample-process';

const BIN = join(ROOT, 'node_modules', '.bin');

/** Every descendant of `pid` (children, grandchildren…), from `ps`. */
function descendants(pid: number): number[] {
  const table = execFileSync('ps', ['-e', '-o', 'pid=,ppid='], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s+/).map(Number));
  const found: number[] = [];
  const visit = (parent: number) => {
    for (const [child, ppid] of table) {
      if (ppid === parent) {
        found.push(child);
        visit(child);
      }
    }
  };
  visit(pid);
  return found;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('npm start (the README command that runs the sample)', () => {
  let npm: ChildProcess | undefined;
  let tree: number[] = [];
  let output = '';

  afterAll(() => {
    // Whatever happened, leave nothing running.
    for (const pid of [...tree, npm?.pid].filter((pid): pid is number => !!pid && isRunning(pid))) process.kill(pid, 'SIGKILL');
  });

  it('SIGTERM to the npm process stops the orders and pricing processes and frees both ports', async () => {
    const [port, pricingPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('npm_') && key !== 'NODE_OPTIONS') env[key] = value;
    npm = spawn('npm', ['start'], {
      cwd: ROOT,
      env: { ...env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}`, PORT: String(port), PRICING_PORT: String(pricingPort), DRAIN_DELAY_MS: '200', OTEL_TRACES_EXPORTER: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm.stdout!.on('data', (chunk) => (output += chunk));
    npm.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => npm!.on('exit', (code, signal) => resolve({ code, signal })));

    try {
      await until('the sample to listen', () => /listening on http:\/\/127\.0\.0\.1:\d+/.test(output), 150_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${output}`);
    }
    expect(await accepts(port)).toBe(true);
    expect(await accepts(pricingPort)).toBe(true);
    tree = descendants(npm.pid!);
    // npm -> orders (node) -> pricing (node), at least; a shell in between is what this test is about.
    expect(tree.length).toBeGreaterThanOrEqual(2);

    npm.kill('SIGTERM');
    const exit = await exited;
    expect(exit.code === 0 || exit.signal === 'SIGTERM').toBe(true);
    try {
      await until('every process of the sample to exit', () => tree.every((pid) => !isRunning(pid)), 15_000);
    } catch {
      const left = execFileSync('ps', ['-o', 'pid,ppid,args', '-p', tree.join(',')], { encoding: 'utf8' });
      throw new Error(`Processes left running after SIGTERM to npm:\n${left}\n--- output ---\n${output}`);
    }
    expect(await accepts(port)).toBe(false);
    expect(await accepts(pricingPort)).toBe(false);
    // The orders service drained and stopped the pricing service in order, rather than dying.
    expect(output).toMatch(/SIGTERM/);
  }, 200_000);
});
