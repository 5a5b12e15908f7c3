// Boots documentation snippets and sends them the requests their page names (see doc-snippets.ts for
// the `<!-- doc-test: … -->` expectations). Plain CommonJS on purpose: the same file runs inside Jest
// (Nest 12 from the repo, `nestjs-observability` mapped to lib/) and, copied into a consumer app, as
// `node doc-snippet-runner.js plan.json` (Nest 11 and the packed tarball installed there).
'use strict';
const http = require('node:http');
const net = require('node:net');
const { join } = require('node:path');

const BOOT_TIMEOUT_MS = 30_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function send(port, step) {
  return new Promise((resolve, reject) => {
    const headers = { ...step.headers };
    if (step.body !== undefined) headers['content-type'] ??= 'application/json';
    const req = http.request({ host: '127.0.0.1', port, path: step.path, method: step.method, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`${step.method} ${step.path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(step.body);
  });
}

/** Runs the page's `describe`/`it`/`beforeEach`/`afterEach` file with the given `expect`, in order. */
async function runTestFile(load, expectImpl) {
  const tests = [];
  const before = [];
  const after = [];
  const names = ['describe', 'it', 'test', 'beforeEach', 'afterEach', 'expect'];
  const saved = Object.fromEntries(names.map((name) => [name, globalThis[name]]));
  const prefix = [];
  Object.assign(globalThis, {
    describe: (name, body) => {
      prefix.push(name);
      body();
      prefix.pop();
    },
    it: (name, fn) => tests.push({ name: [...prefix, name].join(' '), fn }),
    beforeEach: (fn) => before.push(fn),
    afterEach: (fn) => after.push(fn),
    expect: expectImpl,
  });
  globalThis.test = globalThis.it;
  try {
    load();
  } finally {
    for (const name of names) if (name !== 'expect') globalThis[name] = saved[name];
  }
  if (tests.length === 0) throw new Error('the file declares no it()');
  try {
    for (const test of tests) {
      for (const hook of before) await hook();
      try {
        await test.fn();
      } catch (error) {
        error.message = `it('${test.name}'): ${error.message}`;
        throw error;
      } finally {
        for (const hook of after) await hook();
      }
    }
  } finally {
    globalThis.expect = saved.expect;
  }
  return tests.map((t) => t.name);
}

/**
 * What to give NestFactory.create: the exported module itself, or a module around an exported provider
 * or controller (the `with` module, else `ObservabilityModule.forRoot()`).
 */
function bootable(target, test, dir, deps) {
  const req = deps.require;
  const isController = Reflect.getMetadata('path', target) !== undefined;
  const isProvider = Reflect.getMetadata('__injectable__', target) === true;
  if (!isController && !isProvider) return target;
  const { Module } = req('@nestjs/common');
  const imports = test.within
    ? [req(join(dir, test.within.file))[test.within.module]]
    : [req(deps.observability ?? 'nestjs-observability').ObservabilityModule.forRoot()];
  class DocTestModule {}
  Module({ imports, [isController ? 'controllers' : 'providers']: [target] })(DocTestModule);
  return DocTestModule;
}

/** The class named `name` among the exports of the test's files. */
function providerClass(name, test, dir, deps) {
  for (const file of [test.file, ...(test.within ? [test.within.file] : [])]) {
    const found = deps.require(join(dir, file))[name];
    if (found) return found;
  }
  throw new Error(`call ${name}: no block of the test exports ${name}`);
}

/**
 * Runs one doc test. `test` is a plan from doc-snippets.ts (`kind`, `file`, `module`, `before`, `env`,
 * `ports`, `steps`); `dir` is the folder of its transpiled files; `deps` gives `require` (resolving from
 * the app), and `expect` for test files. Resolves with what was checked; rejects with the first mismatch.
 */
async function runDocTest(test, dir, deps) {
  const req = deps.require;
  const savedEnv = {};
  const env = { OTEL_TRACES_EXPORTER: 'none', OTEL_METRICS_EXPORTER: 'none', ...test.env };
  const ports = {};
  for (const fixed of test.ports) ports[fixed] = test.portMap?.[fixed] ?? (await freePort());
  if (test.kind === 'main') env.PORT = String(await freePort());
  for (const [key, value] of Object.entries(env)) {
    savedEnv[key] = process.env[key];
    process.env[key] = value;
  }
  const { NestFactory } = req('@nestjs/core');
  const apps = [];
  const create = NestFactory.create;
  // Every app the snippet creates is closed at the end, including one that main.ts creates itself.
  NestFactory.create = async function (module, ...rest) {
    // An app made by a main file logs errors and warnings only (its options otherwise as written).
    const options = rest.length && typeof rest[rest.length - 1] === 'object' && !('getInstance' in rest[rest.length - 1]) ? rest.pop() : {};
    const app = await create.call(this, module, ...rest, { logger: ['error', 'warn'], ...options });
    apps.push(app);
    return app;
  };
  const checked = [];
  try {
    for (const file of test.before) req(join(dir, file));
    let port;
    if (test.kind === 'jest') {
      checked.push(...(await runTestFile(() => req(join(dir, test.file)), deps.expect)));
    } else if (test.kind === 'main') {
      req(join(dir, test.file));
      port = Number(env.PORT);
      const deadline = Date.now() + BOOT_TIMEOUT_MS;
      while (!(apps.length && (await send(port, { method: 'GET', path: '/', headers: {} }).then(() => true, () => false)))) {
        if (Date.now() > deadline) throw new Error(`main did not listen on PORT=${port} within ${BOOT_TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } else {
      const exported = req(join(dir, test.file));
      const target = exported[test.module];
      if (typeof target !== 'function') throw new Error(`the block exports no class ${test.module} (it exports: ${Object.keys(exported).join(', ')})`);
      const app = await NestFactory.create(bootable(target, test, dir, deps), { logger: false, abortOnError: false });
      await app.listen(0, '127.0.0.1');
      port = app.getHttpServer().address().port;
    }
    for (const step of test.steps) {
      if (step.call) {
        const { provider, method, args, result } = step.call;
        const app = apps[0];
        if (!app) throw new Error(`${step.text}: no app was booted`);
        const instance = app.get(providerClass(provider, test, dir, deps), { strict: false });
        const returned = await instance[method](...args);
        if (result !== undefined && JSON.stringify(returned) !== result) throw new Error(`${step.text}: returned ${JSON.stringify(returned)}`);
        checked.push(step.text);
        continue;
      }
      const target = step.port === undefined ? port : ports[step.port];
      if (target === undefined) throw new Error(`${step.text}: no app port (a "port ${step.port}" line is missing?)`);
      const res = await send(target, step);
      const problems = [];
      if (!step.statuses.includes(res.status)) problems.push(`status ${res.status}, expected ${step.statuses.join(' or ')}`);
      for (const text of step.contains) if (!res.body.includes(text)) problems.push(`the body lacks ${JSON.stringify(text)}`);
      if (problems.length) throw new Error(`${step.text}: ${problems.join('; ')}\n--- body ---\n${res.body.slice(0, 2000)}`);
      checked.push(step.text);
    }
    return checked;
  } finally {
    NestFactory.create = create;
    for (const app of apps.reverse()) await app.close().catch(() => undefined);
    // An SDK that a `before` file exports (`otelSdk`) is stopped; the API's globals are reset for the next test.
    for (const file of test.before) {
      for (const value of Object.values(req(join(dir, file)))) {
        if (value && typeof value.shutdown === 'function') await value.shutdown().catch(() => undefined);
      }
    }
    const api = req('@opentelemetry/api');
    for (const part of ['trace', 'context', 'propagation', 'metrics']) api[part].disable();
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

module.exports = { runDocTest, freePort };

// As a program: `node doc-snippet-runner.js plan.json` runs every test of the plan (in one process, in
// order), prints one JSON line per test ({ page, line, ok, checked | error }) and exits 0.
if (require.main === module) {
  const { readFileSync } = require('node:fs');
  const { createRequire } = require('node:module');
  const plan = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const appRequire = createRequire(join(plan.appDir, 'package.json'));
  (async () => {
    require(appRequire.resolve('reflect-metadata'));
    let expectImpl;
    try {
      expectImpl = appRequire('expect').expect;
    } catch {
      expectImpl = undefined;
    }
    for (const test of plan.tests) {
      const result = { page: test.page, line: test.line };
      try {
        if (test.kind === 'jest' && !expectImpl) throw new Error('install the "expect" package in the app to run test files');
        result.checked = await runDocTest(test, join(plan.dir, test.dir), { require: appRequire, expect: expectImpl, observability: 'nestjs-observability' });
        result.ok = true;
      } catch (error) {
        result.ok = false;
        result.error = String(error && error.stack ? error.stack : error);
      }
      process.stdout.write(`DOC-TEST ${JSON.stringify(result)}\n`);
    }
    process.exit(0);
  })();
}
