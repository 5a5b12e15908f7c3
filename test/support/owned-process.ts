/**
 * A server process a test starts and must stop: its output kept for diagnostics, `stop()` sends SIGTERM
 * (SIGKILL after 5 s) to its whole process group (a server started by a script, like rabbitmq-server
 * running beam.smp, stops as a whole), waits for the exit and removes its temporary folder. Safe to call twice.
 */
import { ChildProcess, spawn, SpawnOptions } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';

export interface OwnedProcess {
  child: ChildProcess;
  output(): string;
  running(): boolean;
  stop(): Promise<void>;
}

export function spawnOwned(command: string, args: string[], dir: string, options: SpawnOptions = {}): OwnedProcess {
  let log = '';
  const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
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
      signal(child, 'SIGTERM');
      const timer = setTimeout(() => signal(child, 'SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { child, output: () => log, running, stop };
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, name);
  } catch {
    child.kill(name);
  }
}

/** `true` if something accepts TCP connections on 127.0.0.1:port. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
