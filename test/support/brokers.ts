/**
 * Real message brokers for tests: Debian's `redis-server`, `nats-server` and `rabbitmq-server` (installed
 * by `.ci/run`), each on 127.0.0.1 and a free port, with a temporary folder. RabbitMQ boots in ~5–30 s
 * (Erlang, its own epmd on a free port), so give its `beforeAll` a long timeout. Always `stop()` it (e.g. in `afterAll`):
 * it kills the process (SIGKILL after 5 s) and removes the folder.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';
import { accepts, spawnOwned } from './owned-process';

export interface Broker {
  host: string;
  port: number;
  /** `redis://127.0.0.1:PORT` or `nats://127.0.0.1:PORT`. */
  url: string;
  /** Everything the broker logged, for diagnostics. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server`: no persistence, its working folder in a temporary directory. `port` brings a
 * stopped one back where its clients still look (they reconnect, so an app that lost Redis can close).
 */
export async function startRedis(port?: number): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-e2e-'));
  port ??= await freePort();
  return start('redis', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], dir, port);
}

/** Starts `nats-server` (core NATS, no JetStream). */
export async function startNats(): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'nats-e2e-'));
  const port = await freePort();
  return start('nats', 'nats-server', ['-a', '127.0.0.1', '-p', String(port), '--pid', join(dir, 'nats.pid')], dir, port);
}

/**
 * Starts `rabbitmq-server` as the current user (not the Debian wrapper, which switches to the rabbitmq
 * user): its node, data and logs in the temporary folder, AMQP on a free port, and an epmd of its own
 * on another free port, stopped with it (Erlang would otherwise start a shared one that outlives the test).
 */
export async function startRabbitMq(): Promise<Broker> {
  const dir = mkdtempSync(join(tmpdir(), 'rabbitmq-e2e-'));
  const [port, epmdPort, distPort] = [await freePort(), await freePort(), await freePort()];
  const sbin = readdirSync(RABBITMQ_LIB).filter((d) => d.startsWith('rabbitmq_server-')).map((d) => join(RABBITMQ_LIB, d, 'sbin'))[0];
  const epmd = await start('epmd', 'epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], mkdtempSync(join(tmpdir(), 'epmd-e2e-')), epmdPort);
  const env = {
    ...process.env,
    HOME: dir,
    ERL_EPMD_PORT: String(epmdPort),
    RABBITMQ_NODENAME: `e2e${port}@localhost`,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq'),
  };
  try {
    const broker = await start('amqp', sbin ? join(sbin, 'rabbitmq-server') : 'rabbitmq-server', [], dir, port, env, 120_000);
    return { ...broker, stop: () => broker.stop().finally(() => epmd.stop()) };
  } catch (error) {
    await epmd.stop();
    throw error;
  }
}

const RABBITMQ_LIB = '/usr/lib/rabbitmq/lib';

async function start(
  scheme: string,
  command: string,
  args: string[],
  dir: string,
  port: number,
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 20_000,
): Promise<Broker> {
  const server = spawnOwned(command, args, dir, { cwd: dir, env });
  const deadline = Date.now() + timeoutMs;
  while (!(await accepts(port))) {
    if (!server.running() || Date.now() > deadline) {
      await server.stop();
      throw new Error(`${command} did not start on port ${port}:\n${server.output()}\n(Install Debian's "${command}" package; bash .ci/run does.)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { host: '127.0.0.1', port, url: `${scheme}://127.0.0.1:${port}`, output: server.output, stop: server.stop };
}
