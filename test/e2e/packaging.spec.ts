/**
 * Proves the published artifact, not the sources: `npm pack` the repo (the `prepack` script
 * builds dist/), install the tarball into fresh copies of the plain-JavaScript consumer apps
 * in test/consumers/ (Nest 12 ESM and Nest 11 CommonJS), boot each with Node 24 as a real
 * process and scrape it over HTTP.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { request as httpRequest, IncomingHttpHeaders } from 'node:http';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'node_modules', '.bin');
/** The project's Node 24 (devDependency `node`); the machine's default node is older. */
const NODE = join(BIN, 'node');
const CONSUMERS = ['nest12-esm', 'nest11-cjs'] as const;
type Consumer = (typeof CONSUMERS)[number];

const SLOW = 240_000;
const BOOT_TIMEOUT = 30_000;
const SHUTDOWN_TIMEOUT = 10_000;

/**
 * The environment of every child: Node 24 first on PATH, and nothing of the npm script or
 * Jest that runs this test (npm_* variables, Jest's --experimental-vm-modules).
 */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/.test(key) && key !== 'NODE_OPTIONS' && key !== 'JEST_WORKER_ID') env[key] = value;
  }
  return { ...env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}`, ...extra };
}

/** Runs a command to completion; rejects with its whole output when it fails. */
function run(command: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise(output);
      else reject(new Error(`\`${command} ${args.join(' ')}\` in ${cwd} failed (code ${code}, signal ${signal}):\n${output}`));
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolvePromise(port));
    });
  });
}

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** `text/plain; version=0.0.4; charset=utf-8` -> type and parameters, whatever their order. */
function parseContentType(header: string | undefined): { type: string; params: Record<string, string> } {
  const [type, ...rest] = (header ?? '').split(';').map((part) => part.trim());
  const params: Record<string, string> = {};
  for (const part of rest) {
    const i = part.indexOf('=');
    if (i > 0) params[part.slice(0, i).trim().toLowerCase()] = part.slice(i + 1).trim();
  }
  return { type: type.toLowerCase(), params };
}

/** The value of the first sample named `name` that carries every pair of `labels`. */
function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const series = line.slice(0, line.lastIndexOf(' '));
    if (series.split('{')[0] !== name) continue;
    if (Object.entries(labels).every(([k, v]) => series.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

/** A consumer app running as a child process, with everything it printed. */
class RunningApp {
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private done = false;

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolvePromise) => {
      child.on('close', (code, signal) => {
        this.done = true;
        resolvePromise({ code, signal });
      });
    });
  }

  get running(): boolean {
    return !this.done;
  }

  output(): string {
    return `--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** Resolves with the port from the app's `LISTENING <port>` line; rejects with its output otherwise. */
  listening(): Promise<number> {
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => finish(new Error(`no LISTENING line within ${BOOT_TIMEOUT} ms`)), BOOT_TIMEOUT);
      const check = () => {
        const match = /^LISTENING (\d+)$/m.exec(this.stdout);
        if (match) finish(undefined, Number(match[1]));
      };
      const finish = (error?: Error, port?: number) => {
        clearTimeout(timer);
        this.child.stdout!.off('data', check);
        if (error) reject(new Error(`The consumer app did not boot: ${error.message}\n${this.output()}`));
        else resolvePromise(port!);
      };
      this.child.stdout!.on('data', check);
      void this.exited.then(({ code, signal }) => finish(new Error(`it exited early (code ${code}, signal ${signal})`)));
      check();
    });
  }
}

describe('the packed tarball in fresh consumer apps', () => {
  let workDir: string;
  const installs = new Map<Consumer, Promise<string>>();

  /** Copies a consumer template to the work dir and installs the tarball plus the template's dependencies. */
  async function install(consumer: Consumer, tarball: string): Promise<string> {
    const appDir = join(workDir, consumer);
    await cp(join(ROOT, 'test', 'consumers', consumer), appDir, {
      recursive: true,
      filter: (source) => !/[\\/](node_modules|package-lock\.json)$/.test(source),
    });
    await run('npm', ['install', '--no-audit', '--no-fund', tarball], appDir);
    return appDir;
  }

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'nestjs-observability-packaging-'));
    // `prepack` runs `npm run build`, so the tarball holds a fresh dist/.
    await run('npm', ['pack', '--pack-destination', workDir], ROOT);
    const tarballs = (await readdir(workDir)).filter((file) => file.endsWith('.tgz'));
    expect(tarballs).toHaveLength(1);
    const tarball = join(workDir, tarballs[0]);
    // Both installs run at once; each consumer's block awaits its own.
    for (const consumer of CONSUMERS) {
      const installed = install(consumer, tarball);
      installed.catch(() => undefined); // reported by the block that awaits it
      installs.set(consumer, installed);
    }
  }, SLOW);

  afterAll(async () => {
    await Promise.allSettled(installs.values());
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, SLOW);

  describe.each(CONSUMERS)('%s', (consumer) => {
    let appDir: string;
    let app: RunningApp | undefined;

    beforeAll(async () => {
      appDir = await installs.get(consumer)!;
    }, SLOW);

    afterEach(async () => {
      if (app?.running) {
        app.child.kill('SIGKILL');
        await app.exited;
      }
    });

    /** Starts the consumer app on `port`; `env` adds to its environment. */
    const start = (port: number, env: Record<string, string> = {}) =>
      new RunningApp(
        // The SDK comes from the preload entry, the way the README tells ESM and CommonJS apps to load it.
        spawn(NODE, [consumer.includes('esm') ? '--import' : '--require', 'nestjs-observability/register', 'main.js'], {
          cwd: appDir,
          env: childEnv({ PORT: String(port), OTEL_TRACES_EXPORTER: 'none', OTEL_SERVICE_NAME: 'consumer', ...env }),
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );

    it('boots on Node 24, counts and times /hello, serves both exposition formats and health, drains on SIGTERM and exits 0', async () => {
      const port = await freePort();
      app = start(port);
      expect(await app.listening()).toBe(port);

      for (let i = 0; i < 3; i++) {
        const hello = await get(port, '/hello');
        expect({ status: hello.status, body: hello.body }).toEqual({ status: 200, body: JSON.stringify({ message: 'hello' }) });
      }

      const metrics = await get(port, '/metrics');
      expect(metrics.status).toBe(200);
      // Parameter order is not significant in a media type (Express 5.2 sorts them, 5.3 does not).
      expect(parseContentType(metrics.headers['content-type'])).toEqual({
        type: 'text/plain',
        params: expect.objectContaining({ version: '0.0.4' }),
      });
      const text = metrics.body;
      expect(text).toContain('# TYPE greeting_service_greet_total counter');
      expect(sampleValue(text, 'greeting_service_greet_total', { class: 'GreetingService', method: 'greet', result: 'success', service: 'consumer' })).toBe(3);
      expect(sampleValue(text, 'hello_controller_hello_total', { result: 'success', service: 'consumer' })).toBe(3);
      expect(sampleValue(text, 'hello_controller_hello_seconds_count', { result: 'success', service: 'consumer' })).toBe(3);
      expect(text).toContain('# TYPE http_server_request_duration_seconds histogram');
      expect(sampleValue(text, 'http_server_request_duration_seconds_count', { http_route: '/hello', service: 'consumer' })).toBe(3);
      expect(text).toContain('service="consumer"');
      // The preloaded SDK is the one the module reports on.
      expect(text).toContain('# TYPE otel_sdk_spans_pending gauge');
      // An OpenTelemetry-API counter, through the preloaded SDK's MeterProvider, on the same /metrics (ESM consumer).
      if (consumer === 'nest12-esm') expect(sampleValue(text, 'greetings_sent_total', { otel_scope_name: 'consumer' })).toBe(3);

      const open = await get(port, '/metrics', { Accept: 'application/openmetrics-text; version=1.0.0' });
      expect(open.status).toBe(200);
      expect(parseContentType(open.headers['content-type'])).toEqual({
        type: 'application/openmetrics-text',
        params: expect.objectContaining({ version: '1.0.0' }),
      });
      expect(open.body.endsWith('# EOF\n')).toBe(true);
      expect(sampleValue(open.body, 'greeting_service_greet_total', { result: 'success' })).toBe(3);

      // Health on Terminus of this Nest major: ready before, 503 at once on SIGTERM (the drain), live throughout.
      const ready = await get(port, '/health/ready');
      expect({ status: ready.status, body: JSON.parse(ready.body).status }).toEqual({ status: 200, body: 'ok' });

      const started = Date.now();
      app.child.kill('SIGTERM');
      let draining = 0;
      for (let i = 0; i < 50 && draining !== 503; i++) {
        draining = (await get(port, '/health/ready')).status;
        if (draining !== 503) await new Promise((r) => setTimeout(r, 20));
      }
      expect(draining).toBe(503);
      expect((await get(port, '/health/live')).status).toBe(200);
      let timer: NodeJS.Timeout | undefined;
      const exit = await Promise.race([
        app.exited,
        new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), SHUTDOWN_TIMEOUT))),
      ]).finally(() => clearTimeout(timer));
      if (exit === 'timeout' || exit.code !== 0) {
        throw new Error(`Expected exit code 0 within ${SHUTDOWN_TIMEOUT} ms of SIGTERM, got ${JSON.stringify(exit)}\n${app.output()}`);
      }
      expect(Date.now() - started).toBeLessThan(SHUTDOWN_TIMEOUT);
      expect(app.stderr).toBe('');
    }, SLOW);

    it('with a management port: /metrics and the probes there only, readiness 503 there through the SIGTERM drain, exits 0', async () => {
      const [port, managementPort] = [await freePort(), await freePort()];
      app = start(port, { MANAGEMENT_PORT: String(managementPort) });
      expect(await app.listening()).toBe(port);
      for (let i = 0; i < 2; i++) expect((await get(port, '/hello')).status).toBe(200);
      expect((await get(port, '/metrics')).status).toBe(404);
      expect((await get(port, '/health/ready')).status).toBe(404);
      const metrics = await get(managementPort, '/metrics');
      expect(metrics.status).toBe(200);
      expect(sampleValue(metrics.body, 'hello_controller_hello_total', { result: 'success', service: 'consumer' })).toBe(2);
      expect(sampleValue(metrics.body, 'http_server_request_duration_seconds_count', { http_route: '/hello' })).toBe(2);
      expect((await get(managementPort, '/health/ready')).status).toBe(200);

      // The drain (5 s by default): readiness answers 503 on the management port from SIGTERM until Nest closed.
      const started = Date.now();
      app.child.kill('SIGTERM');
      const answers: Array<{ at: number; status: number }> = [];
      while (app.running && Date.now() - started < SHUTDOWN_TIMEOUT) {
        const status = await get(managementPort, '/health/ready').then((r) => r.status, () => 0);
        answers.push({ at: Date.now() - started, status });
        await new Promise((r) => setTimeout(r, 100));
      }
      const exit = await app.exited;
      if (exit.code !== 0) throw new Error(`Expected exit code 0 after SIGTERM, got ${JSON.stringify(exit)}\n${app.output()}`);
      const reached = answers.filter((a) => a.status !== 0);
      const first = reached.findIndex((a) => a.status === 503);
      expect(first).toBeGreaterThanOrEqual(0);
      expect(reached[first].at).toBeLessThan(1000);
      expect(reached.slice(first).every((a) => a.status === 503)).toBe(true);
      expect(reached.some((a) => a.at >= 4000)).toBe(true);
      expect(app.stderr).toBe('');
    }, SLOW);
  });
});
