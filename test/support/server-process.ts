import { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';

/** A server binary started by a test: its output, whether it runs, and a stop that cleans up. */
export interface SupervisedServer {
  /** Everything the process printed (and a spawn error, if any). */
  output(): string;
  running(): boolean;
  /** SIGTERM (SIGKILL after 5 s), then removes `dir`. Safe to call twice. */
  stop(): Promise<void>;
}

/** Collects the output of `child` and gives it a stop that also removes its temporary folder `dir`. */
export function superviseServer(child: ChildProcess, dir: string, spawnHint = ''): SupervisedServer {
  let log = '';
  child.stdout?.on('data', (chunk) => (log += chunk));
  child.stderr?.on('data', (chunk) => (log += chunk));
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => resolve());
    child.on('error', (error) => {
      log += `\nspawn error: ${error.message}${spawnHint}`;
      resolve();
    });
  });
  const running = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  let stopped = false;
  return {
    output: () => log,
    running,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (running()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
