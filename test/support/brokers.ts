/**
 * Real message brokers for tests: Debian's `redis-server` and `nats-server` (installed by `.ci/run`),
 * each on 127.0.0.1 and a free port, with a temporary folder. Always `stop()` it (e.g. in `afterAll`):
 * it kills the process (SIGKILL after 5 s) and removes the folder.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

export interface Broker {
  host: string;
  port: number;
  /** `redis://127.0.0.1:PORT` or `nats://127.0.0.1:PORT`. */
  url: string;
  /** Everything the broker logged, for diagnostics. */
  output(): string;
  stop(): Promise<void>;
}

/** Starts `redis-server`: no persistence, its working folder in a temporary directory. */
export async function startRedis(): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-e2e-'));
  const port = await freePort();
  return start('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], dir, port);
}

/** Starts `nats-server` (core NATS, no JetStream). */
export async function startNats(): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'nats-e2e-'));
  const port = await freePort();
  return start('nats', 'nats-server', ['-a', '127.0.0.1', '-p', String(port), '--pid', join(dir, 'nats.pid')], dir, port);
}

async function start(scheme: string, command: string, args: string[], dir: string, port: number): Promise<Broker> {
  let log = '';
  const child: ChildProcess = spawn(command, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk) => (log += chunk));
  child.stderr!.on('data', (chunk) => (log += chunk));
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => resolve());
    child.on('error', (error) => {
      log += `\nspawn error: ${error.message}`;
      resolve();
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (running()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (!(await accepts(port))) {
    if (!running() || Date.now() > deadline) {
      await stop();
      throw new Error(`${command} did not start on port ${port}:\n${log}\n(Install Debian's "${command}" package; bash .ci/run does.)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { host: '127.0.0.1', port, url: `${scheme}://127.0.0.1:${port}`, output: () => log, stop };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
