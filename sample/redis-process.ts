import { Logger } from '@nestjs/common';
import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/**
 * A `redis-server` run as a child process of the orders service, so that `npm start` gives the sample its
 * order-confirmation queue on a machine that has Redis installed but not running. It listens on 127.0.0.1
 * only, on a free port, with a temporary working folder and no persistence (`--save '' --appendonly no`):
 * nothing of it outlives the sample. Like the pricing child it runs in its own process group, so a Ctrl+C
 * reaches the orders process only, whose BullMQ worker and queue close first; the child is stopped on
 * the orders process's `exit`, i.e. after the app closed.
 */
export class RedisProcess {
  private readonly logger = new Logger('RedisProcess');
  private stopping = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    /** `redis://127.0.0.1:PORT`. */
    readonly url: string,
  ) {
    child.on('exit', (code, signal) => {
      if (!this.stopping) this.logger.error(`redis-server exited (code ${code}, signal ${signal}): order confirmations stop until the sample is restarted.`);
    });
    // Whatever ends the process (Nest's shutdown hooks call process.exit after the app closed, or a failed boot), the child goes too.
    process.once('exit', () => this.kill());
  }

  /** `true` if an executable `redis-server` is on PATH. */
  static onPath(path = process.env.PATH ?? ''): boolean {
    return path.split(delimiter).some((dir) => {
      if (!dir) return false;
      try {
        accessSync(join(dir, 'redis-server'), constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  }

  /** Starts `redis-server` on a free loopback port; resolves once it accepts connections, rejects if it does not within `timeoutMs`. */
  static async start(timeoutMs = 10_000): Promise<RedisProcess> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'orders-sample-redis-'));
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
    const child = spawn('redis-server', args, { cwd: dir, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    let errors = '';
    child.stderr!.on('data', (chunk) => (errors += chunk));
    const failed = new Promise<string>((resolve) => {
      child.once('error', (error) => resolve(error.message));
      child.once('exit', (code, signal) => resolve(`exited (code ${code}, signal ${signal}) ${errors.trim()}`));
    });
    const deadline = Date.now() + timeoutMs;
    let outcome: string | undefined;
    void failed.then((reason) => (outcome = reason));
    while (!(await accepts(port))) {
      if (outcome !== undefined || Date.now() > deadline) {
        child.kill('SIGKILL');
        rmSync(dir, { recursive: true, force: true });
        throw new Error(`redis-server did not start on port ${port}: ${outcome ?? `not listening after ${timeoutMs} ms`}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return new RedisProcess(child, dir, `redis://127.0.0.1:${port}`);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** SIGTERM (Redis exits at once, it has nothing to save) and removes the folder; synchronous, so it runs in an `exit` handler. */
  kill(): void {
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A port nothing listens on now, picked by the OS. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
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
