/**
 * Proves the published artifact, not the sources: `npm pack` the repo (the `prepack` script
 * builds dist/), then
 * - install the tarball into fresh copies of the plain-JavaScript consumer apps in test/consumers/
 *   (Nest 12 ESM and Nest 11 CommonJS) and boot each as a real process (Nest 11 on Node 22 and 24),
 *   scraping it over HTTP;
 * - run the README's install line, as written, in a fresh Nest 12 app under Node 22 (`node@22` from
 *   npm, in a temporary prefix) and under Node 24, then compile the README's Quick start files in it
 *   with `tsc --strict` against the shipped .d.ts, boot it and check what the README says `curl` shows;
 * - compile the same Quick start as a strict TypeScript CommonJS app against Nest 11;
 * - check `npm publish --dry-run`: the file list, no test files, every `exports` target shipped.
 * All npm installs share the user's npm cache and run at once.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { DOC_TEST_KNOWN_FAILURES, extractSnippets, importedPackages, planDocTests, readDocPages, runnerPlan, writeDocTest } from '../support/doc-snippets';
import { OTLP_SPAN_KIND, startOtlpReceiver } from '../support/otlp-receiver';
import { RawResponse, rawRequest } from '../support/raw-http';

const ROOT = resolve(__dirname, '../..');
const BIN = join(ROOT, 'node_modules', '.bin');
/** The project's Node 24 (devDependency `node`); the machine's default node is older. */
const NODE = join(BIN, 'node');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const CONSUMERS = ['nest12-esm', 'nest11-cjs'] as const;
type Consumer = (typeof CONSUMERS)[number];

const SLOW = 240_000;
/** npm installs: several at once on a shared machine. */
const INSTALL_TIMEOUT = 600_000;
const BOOT_TIMEOUT = 30_000;
const SHUTDOWN_TIMEOUT = 10_000;

/**
 * The environment of every child: Node 24 first on PATH, and nothing of the npm script or
 * Jest that runs this test (npm_* variables, Jest's --experimental-vm-modules).
 */
function childEnv(extra: Record<string, string> = {}, node = NODE): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/.test(key) && key !== 'NODE_OPTIONS' && key !== 'JEST_WORKER_ID') env[key] = value;
  }
  // `node` (and so npm, a `#!/usr/bin/env node` script) is the given Node.
  return { ...env, PATH: `${dirname(node)}${delimiter}${BIN}${delimiter}${process.env.PATH ?? ''}`, ...extra };
}

/**
 * Runs a command to completion under the given Node; resolves with its output (stdout and stderr, or
 * stdout only), rejects with its whole output when it fails.
 */
function run(command: string, args: string[], cwd: string, node = NODE, stdoutOnly = false): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv({}, node), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise(stdoutOnly ? stdout : output);
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

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return send(port, 'GET', path, headers);
}

function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  return rawRequest(port, path, { method, headers, body, timeoutMs: 10_000 });
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

/** The README, as the user reads it. */
const README = () => readFile(join(ROOT, 'README.md'), 'utf8');

/** Splits a shell command line into words (plain words, '…' and "…"), enough for an npm install line. */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** The package specs of the README's Quick start install line for a Nest major (the line under `# Nest <major>`). */
function readmeInstallSpecs(readme: string, major: NestMajor): string[] {
  for (const block of readme.matchAll(/```(?:bash|sh)\n([\s\S]*?)```/g)) {
    const lines = block[1].replace(/\\\n/g, ' ').split('\n');
    const heading = lines.findIndex((line) => line.trim() === `# Nest ${major}`);
    const command = heading >= 0 ? lines[heading + 1] : undefined;
    if (command && /^\s*npm install nestjs-observability\b/.test(command)) return shellWords(command.split('#')[0]).slice(2);
  }
  throw new Error(`README.md has no \`npm install nestjs-observability …\` line under "# Nest ${major}" in a \`\`\`bash block`);
}

/** The lines the README says `curl …/metrics | grep` prints (the `#   ` comment lines under that command). */
function readmeMetricLines(readme: string): string[] {
  const block = [...readme.matchAll(/```(?:bash|sh)\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => /curl -s \S*\/metrics \| grep/.test(b));
  if (!block) throw new Error('README.md has no `curl …/metrics | grep` step');
  return block.split('\n').filter((line) => /^#\s{2,}\S/.test(line)).map((line) => line.replace(/^#\s+/, '').trim());
}

type NodeVersion = '22' | '24';
type NestMajor = '11' | '12';

describe('the packed tarball in fresh consumer apps', () => {
  let workDir: string;
  let tarball: string;
  let node22: string;
  const installs = new Map<string, Promise<{ dir: string; output: string }>>();
  const nodeOf = (version: NodeVersion) => (version === '22' ? node22 : NODE);

  /** Copies a consumer template to the work dir and installs the tarball plus the template's dependencies. */
  async function install(consumer: Consumer): Promise<{ dir: string; output: string }> {
    const appDir = join(workDir, consumer);
    await cp(join(ROOT, 'test', 'consumers', consumer), appDir, {
      recursive: true,
      filter: (source) => !/[\\/](node_modules|package-lock\.json)$/.test(source),
    });
    const output = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], appDir);
    return { dir: appDir, output };
  }

  /**
   * A fresh app of the given Nest major (what `nest new` gives: ESM on 12, CommonJS on 11), then the
   * README's install line for that major under the given Node, then `devDependencies` (the scaffold's
   * test runner), in a second install so that the first one's output is the README line's alone.
   */
  async function installReadmeLine(version: NodeVersion, major: NestMajor = '12', devDependencies: string[] = []): Promise<{ dir: string; output: string }> {
    const appDir = join(workDir, `readme-nest${major}-node${version}`);
    await mkdir(appDir, { recursive: true });
    const manifest = {
      name: `readme-quick-start-nest${major}-node${version}`,
      version: '1.0.0',
      private: true,
      ...(major === '12' ? { type: 'module' } : {}),
      dependencies: {
        '@nestjs/common': `^${major}.0.0`,
        '@nestjs/core': `^${major}.0.0`,
        '@nestjs/platform-express': `^${major}.0.0`,
        'reflect-metadata': '^0.2.2',
        rxjs: '^7.8.1',
      },
    };
    await writeFile(join(appDir, 'package.json'), JSON.stringify(manifest, null, 2));
    const specs = readmeInstallSpecs(await README(), major).map((spec) => (spec === 'nestjs-observability' ? tarball : spec));
    expect(specs).toContain(tarball);
    const output = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', ...specs], appDir, nodeOf(version));
    if (devDependencies.length) await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '-D', ...devDependencies], appDir, nodeOf(version));
    return { dir: appDir, output };
  }

  /** `node@22` from npm into a prefix of its own (not a devDependency: its `node` bin would clash with node@24's). */
  async function installNode22(): Promise<string> {
    const prefix = join(workDir, 'node22');
    await mkdir(prefix, { recursive: true });
    await writeFile(join(prefix, 'package.json'), JSON.stringify({ private: true, allowScripts: { node: true } }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--prefix', prefix, 'node@22'], prefix);
    const bin = join(prefix, 'node_modules', '.bin', 'node');
    expect((await run(bin, ['--version'], prefix)).trim()).toMatch(/^v22\./);
    return bin;
  }

  const started = (key: string, promise: Promise<{ dir: string; output: string }>) => {
    promise.catch(() => undefined); // reported by the test that awaits it
    installs.set(key, promise);
  };

  beforeAll(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'nestjs-observability-packaging-'));
    const node22Installed = installNode22();
    node22Installed.catch(() => undefined);
    // `prepack` runs `npm run build`, so the tarball holds a fresh dist/.
    await run('npm', ['pack', '--pack-destination', workDir], ROOT);
    const tarballs = (await readdir(workDir)).filter((file) => file.endsWith('.tgz'));
    expect(tarballs).toHaveLength(1);
    tarball = join(workDir, tarballs[0]);
    // Every install runs at once (one shared npm cache); each test awaits its own.
    for (const consumer of CONSUMERS) started(consumer, install(consumer));
    // Nest 12's scaffold tests with vitest (its ts-esm template), Nest 11's with Jest and ts-jest.
    started('readme-node24', installReadmeLine('24', '12', ['vitest@^4', 'vite-tsconfig-paths@^5', '@nestjs/testing@^12', 'supertest@^7']));
    started('readme-nest11', installReadmeLine('24', '11', ['@nestjs/testing@^11', 'supertest@^7']));
    node22 = await node22Installed;
    started('readme-node22', installReadmeLine('22'));
  }, INSTALL_TIMEOUT);

  afterAll(async () => {
    await Promise.allSettled(installs.values());
    if (workDir) await rm(workDir, { recursive: true, force: true });
  }, SLOW);

  let app: RunningApp | undefined;
  afterEach(async () => {
    if (app?.running) {
      app.child.kill('SIGKILL');
      await app.exited;
    }
    app = undefined;
  });

  /** After a SIGTERM: expects the process to end as `expected` (exit code 0 by default) within SHUTDOWN_TIMEOUT. */
  async function expectCleanExit(running: RunningApp, expected: { code: number | null; signal: NodeJS.Signals | null } = { code: 0, signal: null }): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      running.exited,
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), SHUTDOWN_TIMEOUT))),
    ]).finally(() => clearTimeout(timer));
    if (exit === 'timeout' || exit.code !== expected.code || exit.signal !== expected.signal) {
      throw new Error(`Expected ${JSON.stringify(expected)} within ${SHUTDOWN_TIMEOUT} ms of SIGTERM, got ${JSON.stringify(exit)}\n${running.output()}`);
    }
  }

  describe.each([
    ['nest12-esm', '24'],
    ['nest11-cjs', '24'],
    ['nest11-cjs', '22'],
  ] as Array<[Consumer, NodeVersion]>)('%s (plain JavaScript) on Node %s', (consumer, version) => {
    let appDir: string;

    beforeAll(async () => {
      appDir = (await installs.get(consumer)!).dir;
    }, INSTALL_TIMEOUT);

    /** Starts the consumer app on `port` under this Node; `env` adds to its environment. */
    const start = (port: number, env: Record<string, string> = {}) =>
      new RunningApp(
        // The SDK comes from the preload entry, the way the README tells ESM and CommonJS apps to load it.
        spawn(nodeOf(version), [consumer.includes('esm') ? '--import' : '--require', 'nestjs-observability/register', 'main.js'], {
          cwd: appDir,
          env: childEnv({ PORT: String(port), OTEL_TRACES_EXPORTER: 'none', OTEL_SERVICE_NAME: 'consumer', ...env }, nodeOf(version)),
          stdio: ['ignore', 'pipe', 'pipe'],
        }),
      );

    it('boots, counts and times /hello, serves both exposition formats and health, drains on SIGTERM and exits 0', async () => {
      const port = await freePort();
      app = start(port);
      expect(await app.listening()).toBe(port);
      expect(await run(nodeOf(version), ['--version'], appDir)).toMatch(new RegExp(`^v${version}\\.`));

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
      if (consumer === 'nest11-cjs') {
        // @nestjs/event-emitter 3 and @nestjs/schedule 6 on Nest 11: the handlers are timed (and traced).
        expect(sampleValue(text, 'event_handler_duration_seconds_count', { event: 'greeting.sent', handler: 'GreetingListener.onGreeted', result: 'success' })).toBe(3);
        expect(sampleValue(text, 'scheduled_job_period_seconds', { task: 'TickJob.tick', type: 'interval' })).toBe(0.05);
        let ticks = 0;
        for (let i = 0; i < 100 && ticks === 0; i++) {
          ticks = sampleValue((await get(port, '/metrics')).body, 'scheduled_job_duration_seconds_count', { task: 'TickJob.tick', result: 'success' }) ?? 0;
          if (ticks === 0) await new Promise((r) => setTimeout(r, 50));
        }
        expect(ticks).toBeGreaterThan(0);
      }

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
      await expectCleanExit(app);
      expect(Date.now() - started).toBeLessThan(SHUTDOWN_TIMEOUT);
      expect(app.stderr).toBe('');
    }, SLOW);

    it('exports its spans over OTLP from the shipped worker thread, and delivers every ended span on SIGTERM', async () => {
      const receiver = await startOtlpReceiver();
      try {
        const port = await freePort();
        // A minute between exports: what reaches the receiver is what the SIGTERM flush delivered.
        app = start(port, { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '60000' });
        expect(await app.listening()).toBe(port);
        for (let i = 0; i < 3; i++) expect((await get(port, '/hello')).status).toBe(200);
        expect(receiver.spans).toHaveLength(0);
        app.child.kill('SIGTERM');
        await expectCleanExit(app);
        const server = receiver.spans.filter((s) => s.kind === OTLP_SPAN_KIND.SPAN_KIND_SERVER);
        expect(server.map((s) => s.name)).toEqual(['GET /hello', 'GET /hello', 'GET /hello']);
        expect(server[0].resource['service.name']).toBe('consumer');
        // Posted by the export thread (its own User-Agent), not by the SDK's exporter.
        expect(new Set(receiver.headers.map((h) => h['user-agent']))).toEqual(new Set(['nestjs-observability OTLP exporter (worker thread)']));
        expect(app.stderr).toBe('');
      } finally {
        await receiver.close();
      }
    }, SLOW);

    // On one Node per consumer: the Node 22 run of the Nest 11 consumer is about loading, covered above.
    (version === '24' ? it : it.skip)('with a management port: /metrics and the probes there only, readiness 503 there through the SIGTERM drain, exits 0', async () => {
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

  /**
   * Writes the README's Quick start files (`// src/…` blocks) into `appDir` and compiles them with the
   * repo's TypeScript, strict and with library checking on, against the installed packages' .d.ts (the
   * shipped ones for nestjs-observability). Returns the compiled main.js.
   */
  async function writeQuickStart(appDir: string): Promise<void> {
    const files = extractSnippets('README.md', await README()).filter((snippet) => snippet.file.startsWith('src/'));
    expect(files.map((f) => f.file).sort()).toEqual(['src/app.module.ts', 'src/main.ts', 'src/tracing.ts']);
    for (const file of files) {
      await mkdir(dirname(join(appDir, file.file)), { recursive: true });
      await writeFile(join(appDir, file.file), file.code);
    }
  }

  async function compileQuickStart(appDir: string): Promise<string> {
    await writeQuickStart(appDir);
    const tsconfig = {
      compilerOptions: {
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2023',
        lib: ['es2023'],
        strict: true,
        noImplicitAny: true,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        // The shipped .d.ts files are compiled too (only those of this package are reported, below).
        skipLibCheck: false,
        rootDir: 'src',
        outDir: 'dist-ts',
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules', '@types')],
      },
      include: ['src'],
    };
    await writeFile(join(appDir, 'tsconfig.quick-start.json'), JSON.stringify(tsconfig, null, 2));
    const compiled = await run(NODE, [TSC, '-p', 'tsconfig.quick-start.json', '--pretty', 'false'], appDir).catch((error: Error) => error.message);
    // Errors in other packages' declarations (Nest's, prom-client's) are theirs; ours and the app's must be none.
    const errors = compiled.split('\n').filter((line) => /error TS\d+/.test(line) && (!line.includes('node_modules/') || line.includes('node_modules/nestjs-observability/')));
    expect(errors).toEqual([]);
    // The types really came from the tarball's declarations, not an implicit any.
    expect(await readFile(join(appDir, 'node_modules', 'nestjs-observability', 'dist', 'index.d.ts'), 'utf8')).toContain('ObservabilityModule');
    return join(appDir, 'dist-ts', 'main.js');
  }

  /** Boots the compiled Quick start and follows the README's "Try it" step. */
  async function tryQuickStart(mainJs: string, version: NodeVersion, sigterm: boolean): Promise<void> {
    const port = await freePort();
    app = new RunningApp(
      spawn(nodeOf(version), [mainJs], {
        cwd: dirname(dirname(mainJs)),
        env: childEnv({ PORT: String(port), OTEL_TRACES_EXPORTER: 'none' }, nodeOf(version)),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    const deadline = Date.now() + BOOT_TIMEOUT;
    while (!(await get(port, '/health/live').then((r) => r.status === 200, () => false))) {
      if (!app.running || Date.now() > deadline) throw new Error(`The Quick start app did not boot\n${app.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const created = await send(port, 'POST', '/orders', { 'content-type': 'application/json' }, JSON.stringify({ channel: 'web' }));
    expect({ status: created.status, body: JSON.parse(created.body) }).toEqual({ status: 201, body: { id: '1', channel: 'web' } });
    expect((await get(port, '/orders/1')).status).toBe(200);
    const metricLines = (await get(port, '/metrics')).body.split('\n');
    const promised = readmeMetricLines(await README());
    expect(promised.length).toBeGreaterThanOrEqual(3);
    // What the README's `grep -E '…'` prints, exactly: the same lines, in the same order.
    const grep = /grep -E '([^']+)'/.exec((await README()).split('\n').find((line) => /curl -s \S*\/metrics \| grep/.test(line)) ?? '');
    expect(grep).not.toBeNull();
    expect(metricLines.filter((line) => new RegExp(grep![1]).test(line))).toEqual(promised);
    const ready = await get(port, '/health/ready');
    expect({ status: ready.status, body: JSON.parse(ready.body).status }).toEqual({ status: 200, body: 'ok' });
    if (sigterm) {
      // enableShutdownHooks() as in the README: readiness fails at once, the app drains (5 s), Nest closes,
      // and then Nest re-raises the signal (no useProcessExit), so the process ends by SIGTERM, in bounded time.
      app.child.kill('SIGTERM');
      let draining = 0;
      for (let i = 0; i < 100 && draining !== 503; i++) {
        draining = (await get(port, '/health/ready')).status;
        if (draining !== 503) await new Promise((r) => setTimeout(r, 20));
      }
      expect(draining).toBe(503);
      await expectCleanExit(app, { code: null, signal: 'SIGTERM' });
      expect(app.stdout).toMatch(/SIGTERM: readiness reports 503; draining/);
    }
  }

  describe.each(['22', '24'] as NodeVersion[])('the README install line in a fresh Nest 12 app, on Node %s', (version) => {
    it('installs (no ERESOLVE, no EBADENGINE, the pinned versions), the Quick start compiles strictly and boots, and curl shows what the README says', async () => {
      const { dir, output } = await installs.get(`readme-node${version}`)!;
      expect(output).not.toMatch(/EBADENGINE|ERESOLVE/);
      const versionOf = async (pkg: string) => (JSON.parse(await readFile(join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
      expect(await versionOf('@opentelemetry/sdk-node')).toMatch(/^0\.301\./);
      expect(await versionOf('@opentelemetry/api')).toMatch(/^1\.10\./);
      expect(await versionOf('@nestjs/core')).toMatch(/^12\./);
      expect(await readdir(join(dir, 'node_modules'))).not.toContain('nestjs-otel');
      await tryQuickStart(await compileQuickStart(dir), version, true);
    }, SLOW);
  });

  /** The scaffold's e2e test (test/app.e2e-spec.ts of `nest new`), written for the README's Quick start. */
  const quickStartE2e = (appModule: string) => `import { INestApplication } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '${appModule}';

describe('Quick start (e2e)', () => {
  let app: INestApplication;

  beforeEach(async () => {
    const moduleFixture: TestingModule = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleFixture.createNestApplication();
    await app.init();
  });

  afterEach(async () => {
    await app.close();
  });

  it('POST /orders is counted on /metrics, and readiness is up', async () => {
    await request(app.getHttpServer()).post('/orders').send({ channel: 'web' }).expect(201);
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toContain('orders_service_create_total{class="OrdersService",method="create",result="success",exception="none",service="orders"} 1');
    await request(app.getHttpServer()).get('/health/ready').expect(200);
  });
});
`;

  /** The tsconfig.json of `nest new` (the compiler options both majors' templates share, plus `own`). */
  const scaffoldTsconfig = (own: Record<string, unknown>) => ({
    compilerOptions: {
      module: 'nodenext',
      moduleResolution: 'nodenext',
      resolvePackageJsonExports: true,
      esModuleInterop: true,
      isolatedModules: true,
      declaration: true,
      emitDecoratorMetadata: true,
      experimentalDecorators: true,
      allowSyntheticDefaultImports: true,
      target: 'ES2023',
      sourceMap: true,
      outDir: './dist',
      skipLibCheck: true,
      ...own,
    },
  });

  it("the README's Nest 11 line in a Nest 11 scaffold: the Quick start's e2e test passes under the scaffold's Jest + ts-jest setup", async () => {
    const { dir, output } = await installs.get('readme-nest11')!;
    expect(output).not.toMatch(/EBADENGINE|ERESOLVE/);
    expect(JSON.parse(await readFile(join(dir, 'node_modules', '@nestjs', 'terminus', 'package.json'), 'utf8')).version).toMatch(/^11\./);
    await writeQuickStart(dir);
    await mkdir(join(dir, 'test'), { recursive: true });
    await writeFile(join(dir, 'test', 'app.e2e-spec.ts'), quickStartE2e('./../src/app.module'));
    // Nest 11's `nest new`: tsconfig.json and test/jest-e2e.json as the schematics write them. Jest 30 and
    // ts-jest 29 are the scaffold's majors; the repo's copies run them (no vm-modules flag, as there).
    const tsconfig = scaffoldTsconfig({
      // TypeScript 6 (the repo's, which ts-jest uses here) wants it; the scaffold's TypeScript 5 infers it.
      rootDir: './',
      strictNullChecks: true,
    });
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const jestE2e = {
      moduleFileExtensions: ['js', 'json', 'ts'],
      rootDir: '.',
      testEnvironment: 'node',
      testRegex: '.e2e-spec.ts$',
      transform: { '^.+\\.(t|j)s$': join(ROOT, 'node_modules', 'ts-jest') },
    };
    await writeFile(join(dir, 'test', 'jest-e2e.json'), JSON.stringify(jestE2e, null, 2));
    const result = await run(NODE, [join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--config', './test/jest-e2e.json', '--ci'], dir);
    expect(result.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests:\s+1 passed, 1 total/);
  }, SLOW);

  it("the README's Nest 12 line in a Nest 12 scaffold: the Quick start's e2e test passes under the scaffold's vitest setup", async () => {
    const { dir } = await installs.get('readme-node24')!;
    await writeQuickStart(dir);
    await mkdir(join(dir, 'test'), { recursive: true });
    await writeFile(join(dir, 'test', 'app.e2e-spec.ts'), quickStartE2e('./../src/app.module.js'));
    // Nest 12's `nest new` (its ts-esm template): vitest with globals, vite-tsconfig-paths, this tsconfig.
    const tsconfig = scaffoldTsconfig({
      removeComments: true,
      rootDir: '.',
      strict: true,
      strictPropertyInitialization: false,
      types: ['vitest/globals', 'node'],
    });
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    await writeFile(
      join(dir, 'vitest.config.e2e.ts'),
      [
        "import { defineConfig } from 'vitest/config';",
        "import tsconfigPaths from 'vite-tsconfig-paths';",
        '',
        "export default defineConfig({ plugins: [tsconfigPaths()], test: { globals: true, root: './', include: ['**/*.e2e-spec.ts'] } });",
        '',
      ].join('\n'),
    );
    const result = await run(NODE, [join(dir, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', './vitest.config.e2e.ts'], dir);
    expect(result.replace(/\x1b\[[0-9;]*m/g, '')).toMatch(/Tests\s+1 passed \(1\)/);
  }, SLOW);

  it('every documentation snippet boots and answers on Nest 11 (CommonJS) on Node 22, with the packed tarball and the packages they import', async () => {
    const { dir } = await installs.get('nest11-cjs')!;
    const { tests, problems } = planDocTests(readDocPages());
    expect(problems).toEqual([]);
    const runnable = tests.filter((test) => test.kind !== 'skip');
    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(importedPackages(runnable).filter((name) => name !== 'nestjs-observability' && !(name in manifest.dependencies))).toEqual([]);
    const docDir = join(dir, 'doc-tests');
    const plans = [];
    for (const test of runnable) {
      const portMap: Record<number, number> = {};
      const substitutions: Record<string, string> = {};
      for (const port of test.ports) substitutions[port] = String((portMap[port] = await freePort()));
      for (const folder of test.tmpdirs) substitutions[folder] = await mkdtemp(join(workDir, 'doc-tmpdir-'));
      writeDocTest(test, docDir, {}, substitutions);
      plans.push(runnerPlan(test, portMap));
    }
    await copyFile(join(ROOT, 'test', 'support', 'doc-snippet-runner.js'), join(dir, 'doc-snippet-runner.js'));
    await writeFile(join(dir, 'doc-plan.json'), JSON.stringify({ appDir: dir, dir: docDir, tests: plans }));
    // On Node 22, the lowest Node that `engines` allows (the Jest suite covers Nest 12 on Node 24).
    const output = await run(node22, ['doc-snippet-runner.js', 'doc-plan.json'], dir, node22, true);
    const results = output.split('\n').filter((line) => line.startsWith('DOC-TEST ')).map((line) => JSON.parse(line.slice(9)) as { page: string; line: number; ok: boolean; error?: string });
    expect(results.map((r) => `${r.page}:${r.line}`)).toEqual(runnable.map((t) => `${t.page}:${t.line}`));
    const unexpected = results.filter((r) => r.ok === Boolean(DOC_TEST_KNOWN_FAILURES[`${r.page}:${r.line}`]));
    expect(unexpected.map((r) => `${r.page}:${r.line} ${r.ok ? 'boots now: remove it from DOC_TEST_KNOWN_FAILURES' : r.error}`)).toEqual([]);
  }, SLOW);

  it('the Quick start, as a strict TypeScript CommonJS app on Nest 11, compiles against the shipped .d.ts and runs', async () => {
    const { dir } = await installs.get('nest11-cjs')!;
    expect(JSON.parse(await readFile(join(dir, 'node_modules', '@nestjs', 'core', 'package.json'), 'utf8')).version).toMatch(/^11\./);
    await tryQuickStart(await compileQuickStart(dir), '22', false);
  }, SLOW);

  it('npm publish --dry-run: dist/, README, LICENSE, CHANGELOG and package.json only; every exports target is shipped', async () => {
    // dist/ was built by `npm pack` above; the dry run lists what `npm publish` would upload.
    const report = JSON.parse(await run('npm', ['publish', '--dry-run', '--json', '--ignore-scripts'], ROOT, NODE, true)) as Record<
      string,
      { name: string; files: Array<{ path: string }> }
    >;
    const manifest = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      name: string;
      main: string;
      types: string;
      exports: Record<string, string | Record<string, string>>;
    };
    const files = report[manifest.name].files.map((file) => file.path);
    expect(files.filter((file) => !file.startsWith('dist/'))).toEqual(expect.arrayContaining(['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json']));
    expect(files.filter((file) => !file.startsWith('dist/')).sort()).toEqual(['CHANGELOG.md', 'LICENSE', 'README.md', 'package.json']);
    expect(files.filter((file) => /(^|\/)(test|tests|__tests__|fixtures)\/|\.(spec|test)\.[cm]?[jt]s$|tsbuildinfo$/.test(file))).toEqual([]);
    const targets = [manifest.main, manifest.types, ...Object.values(manifest.exports).flatMap((entry) => (typeof entry === 'string' ? [entry] : Object.values(entry)))];
    for (const target of targets) expect(files).toContain(target.replace(/^\.\//, ''));
    // Every .js has its .d.ts.
    for (const js of files.filter((file) => file.endsWith('.js'))) expect(files).toContain(js.replace(/\.js$/, '.d.ts'));
    // No source maps: they would name lib/*.ts, which is not shipped; stack traces point at the shipped dist/*.js.
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    const withMapComments = [];
    for (const js of files.filter((file) => file.endsWith('.js'))) {
      if ((await readFile(join(ROOT, js), 'utf8')).includes('sourceMappingURL')) withMapComments.push(js);
    }
    expect(withMapComments).toEqual([]);
  }, SLOW);
});
