/**
 * Type-checks the ```ts blocks of the user docs (README.md and docs/*.md) as a user would compile them:
 * each block is a file of its own, `nestjs-observability` resolves to lib/ (the repo's sources), and
 * every other import resolves from the repo's node_modules. Every page is compiled twice, once as a
 * CommonJS app (Nest 11: no top-level await) and once as an ESM app (Nest 12, `"type": "module"`), so a
 * snippet that works in only one of them fails.
 *
 * A block whose first line is a comment naming a file (`// src/app.module.ts`) is that file; the other
 * blocks of the same page can import it (`import { AppModule } from './app.module.js'`). Other blocks
 * are `snippet-<n>.ts`. Nothing is written to disk: the files are virtual, inside the repo, so Node's
 * module resolution finds node_modules.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

const ROOT = resolve(__dirname, '../..');

/** One ```ts block of a markdown page. */
export interface DocSnippet {
  /** The page, relative to the repo root, e.g. `docs/health.md`. */
  page: string;
  /** 1-based line of the block's first code line in the page. */
  line: number;
  /** File name inside the page's virtual folder, e.g. `src/main.ts` or `snippet-3.ts`. */
  file: string;
  code: string;
  /** The `<!-- doc-test: … -->` comment right above the block (its text), if any. */
  docTest?: string;
  /** 1-based line where that comment starts. */
  docTestLine?: number;
}

/** The user docs: README.md and every docs/*.md. */
export function docPages(root = ROOT): string[] {
  const docs = readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).sort();
  return ['README.md', ...docs.map((name) => `docs/${name}`)];
}

/** The ```ts (or ```typescript) blocks of one markdown text. */
export function extractSnippets(page: string, markdown: string): DocSnippet[] {
  const lines = markdown.split('\n');
  const snippets: DocSnippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*(ts|typescript)\s*$/.exec(lines[i]);
    if (!open) continue;
    const [, indent, fence] = open;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !lines[end].startsWith(`${indent}${fence}`)) end++;
    const code = lines.slice(start, end).map((l) => (l.startsWith(indent) ? l.slice(indent.length) : l)).join('\n');
    const named = /^\/\/\s*([\w./-]+\.ts)\b/.exec(code.split('\n')[0] ?? '');
    snippets.push({ page, line: start + 1, file: named ? named[1] : `snippet-${snippets.length + 1}.ts`, code: `${code}\n`, ...docTestAbove(lines, i) });
    i = end;
  }
  return snippets;
}

/** The `<!-- doc-test: … -->` comment that ends on the line above `fence` (blank lines allowed between). */
function docTestAbove(lines: string[], fence: number): { docTest?: string; docTestLine?: number } {
  let end = fence - 1;
  while (end >= 0 && lines[end].trim() === '') end--;
  if (end < 0 || !lines[end].trim().endsWith('-->')) return {};
  let start = end;
  while (start > 0 && !lines[start].includes('<!--')) start--;
  const text = lines.slice(start, end + 1).join('\n');
  const match = /<!--\s*doc-test:([\s\S]*?)-->\s*$/.exec(text);
  return match ? { docTest: match[1].trim(), docTestLine: start + 1 } : {};
}

/**
 * The page's blocks as sets of files. A page may show two versions of one file (two `// src/app.module.ts`
 * blocks): set k holds the k-th version of every repeated name (or its last one), so each version is
 * compiled and booted beside the page's other files. Unnamed blocks are in set 0 only.
 */
export function snippetSets(snippets: DocSnippet[]): Array<Map<string, DocSnippet>> {
  const byName = new Map<string, DocSnippet[]>();
  for (const snippet of snippets) byName.set(snippet.file, [...(byName.get(snippet.file) ?? []), snippet]);
  const count = Math.max(1, ...[...byName.values()].map((versions) => versions.length));
  return Array.from({ length: count }, (_, k) => {
    const set = new Map<string, DocSnippet>();
    for (const [name, versions] of byName) {
      if (versions.length > 1 || k === 0) set.set(name, versions[Math.min(k, versions.length - 1)]);
    }
    return set;
  });
}

/** A compile error, located in the markdown page. */
export interface SnippetError {
  page: string;
  line: number;
  mode: 'cjs' | 'esm';
  message: string;
}

/**
 * Compiles the snippets of the given pages (CommonJS and ESM) and returns every error, located at the
 * page's line. `pages` maps a page name to its markdown text.
 */
export function checkSnippets(pages: Record<string, string>): SnippetError[] {
  const base = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  })!;
  const options: ts.CompilerOptions = {
    ...base.options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    // What an app's tsconfig has; the docs must not rely on the repo's looser settings.
    strict: true,
    strictPropertyInitialization: true,
    types: ['node', 'jest'],
    paths: {
      'nestjs-observability': [join(ROOT, 'lib/index.ts')],
      'nestjs-observability/register': [join(ROOT, 'lib/register.ts')],
    },
  };
  const virtual = new Map<string, string>();
  const located = new Map<string, { page: string; line: number; mode: 'cjs' | 'esm' }>();
  for (const mode of ['cjs', 'esm'] as const) {
    const dir = join(ROOT, '.doc-snippets', mode);
    virtual.set(join(dir, 'package.json'), JSON.stringify({ name: `doc-snippets-${mode}`, type: mode === 'esm' ? 'module' : 'commonjs' }));
    for (const [page, markdown] of Object.entries(pages)) {
      snippetSets(extractSnippets(page, markdown)).forEach((set, k) => {
        for (const snippet of set.values()) {
          const path = join(dir, page.replace(/[^\w-]+/g, '_') + (k ? `.v${k}` : ''), snippet.file);
          virtual.set(path, snippet.code);
          located.set(path, { page, line: snippet.line, mode });
        }
      });
    }
  }
  const host = ts.createCompilerHost(options, true);
  const { fileExists, readFile, getSourceFile, directoryExists } = host;
  host.fileExists = (file) => virtual.has(resolve(file)) || fileExists.call(host, file);
  host.readFile = (file) => virtual.get(resolve(file)) ?? readFile.call(host, file);
  host.directoryExists = (dir) =>
    [...virtual.keys()].some((file) => file.startsWith(resolve(dir) + '/')) || (directoryExists?.call(host, dir) ?? true);
  host.getSourceFile = (file, languageVersion, onError, shouldCreate) => {
    const text = virtual.get(resolve(file));
    return text !== undefined
      ? ts.createSourceFile(file, text, languageVersion, true)
      : getSourceFile.call(host, file, languageVersion, onError, shouldCreate);
  };
  const roots = [...located.keys()];
  const program = ts.createProgram({ rootNames: roots, options, host });
  const errors: SnippetError[] = [];
  const seen = new Set<string>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const where = diagnostic.file ? located.get(resolve(diagnostic.file.fileName)) : undefined;
    if (!where) {
      errors.push({ page: diagnostic.file ? relative(ROOT, diagnostic.file.fileName) : '(options)', line: 0, mode: 'cjs', message });
      continue;
    }
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    // A file shared by two sets is compiled twice: report it once.
    const key = `${where.page}:${where.line + line}:${where.mode}:${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push({ page: where.page, line: where.line + line, mode: where.mode, message });
  }
  return errors;
}

/** Reads the user docs from the repo. */
export function readDocPages(root = ROOT): Record<string, string> {
  return Object.fromEntries(docPages(root).map((page) => [page, readFileSync(join(root, page), 'utf8')]));
}

/**
 * Blocks that fail today, by page and line, each with who fixes it. The boot specs expect them to fail
 * (`it.failing`), so an entry has to go once its block boots.
 */
export const DOC_TEST_KNOWN_FAILURES: Record<string, string> = {};

/** One request of a doc test, and what its answer must be. */
export interface DocTestStep {
  /** The line as written, for messages. */
  text: string;
  method: string;
  path: string;
  /** A fixed port of the snippet (`:9464/metrics`), else the app's port. */
  port?: number;
  headers: Record<string, string>;
  body?: string;
  /** The status codes accepted (`200|503`: either, for a probe whose answer depends on the machine). */
  statuses: number[];
  /** Texts the body must contain. */
  contains: string[];
}

/**
 * What the test suite does with one ```ts block, from the `<!-- doc-test: … -->` comment above it (one
 * clause a line; GitHub does not render the comment):
 *
 * - `boot AppModule`: boot the block's exported module with `NestFactory.create`, listening on a free port
 *   (an exported provider or controller instead is booted in a module that imports `ObservabilityModule.forRoot()`,
 *   or the module named by `with`);
 * - `main`: run the block as the app's entry file, with `PORT` set to a free port;
 * - `jest`: run the block as a test file (`describe`/`it`/`beforeEach`/`afterEach`, Jest's `expect`);
 * - `skip: why`: not run (say why, and where else it is covered);
 *
 * then any of:
 * - `before src/tracing.ts`: load another file of the page first (the SDK setup the page says to import first);
 * - `env NAME=value`: set for the run (`OTEL_TRACES_EXPORTER` is `none` unless set);
 * - `with src/app.module.ts AppModule`: the module that a booted provider or controller goes in;
 * - `port 9464`: a fixed port of the snippet, replaced by a free one (in the code and in `:9464/…` paths);
 * - `tmpdir /run/orders-metrics`: a fixed folder of the snippet, replaced by a fresh temporary one;
 * - `call OrdersService.place("web", 0.1)`: call a method of a provider of the booted app (awaited);
 *   `=> {"ok":true}` after it: its result, as JSON;
 * - requests: `GET /metrics 200 "text the body contains" …`, `POST /orders {"channel":"web"} 201`,
 *   `GET :9464/metrics [authorization: Bearer s3cret] 200`, `GET /health/live 200|503 "heap"` (either status).
 *
 * A block needs no comment when another block of its page imports it (`./tracing.js`) or names it in
 * `before`; any other block without one fails the suite.
 */
export interface DocTest {
  page: string;
  /** Line of the block's first code line. */
  line: number;
  kind: 'boot' | 'main' | 'jest' | 'skip';
  /** The block's file in its set, e.g. `src/app.module.ts`. */
  file: string;
  /** Exported module class to boot (`boot`). */
  module?: string;
  reason?: string;
  before: string[];
  env: Record<string, string>;
  ports: number[];
  tmpdirs: string[];
  /** `with`: the file and class of the module a booted provider or controller goes in. */
  within?: { file: string; module: string };
  steps: Array<DocTestStep | DocTestCall>;
  /** The test's files (the block and the other files of its set), by name. */
  files: Map<string, string>;
  /** Folder name of the test's files, unique in the suite. */
  dir: string;
}

/** A `call` clause: a method of a provider of the booted app, with JSON arguments. */
export interface DocTestCall {
  text: string;
  call: { provider: string; method: string; args: unknown[]; result?: string };
}

function parseCall(clause: string): DocTestCall | string {
  const m = /^call\s+(\w+)\.(\w+)\((.*)\)\s*(?:=>\s*(.+))?$/.exec(clause);
  if (!m) return `${JSON.stringify(clause)}: write calls as call Provider.method("json", 1) [=> json]`;
  try {
    const args = JSON.parse(`[${m[3]}]`) as unknown[];
    if (m[4] !== undefined) JSON.parse(m[4]);
    return { text: clause, call: { provider: m[1], method: m[2], args, result: m[4] === undefined ? undefined : JSON.stringify(JSON.parse(m[4])) } };
  } catch {
    return `${JSON.stringify(clause)}: the arguments and the result must be JSON`;
  }
}

function parseStep(clause: string): DocTestStep | string {
  const head = /^(GET|POST|PUT|PATCH|DELETE|HEAD)\s+(\S+)\s*(.*)$/.exec(clause);
  if (!head) return `not a clause: ${JSON.stringify(clause)}`;
  const [, method, target, rest] = head;
  const tail = /^(.*?)\s*(?<!\S)(\d{3}(?:\|\d{3})*)((?:\s+"(?:[^"\\]|\\.)*")*)\s*$/.exec(rest);
  if (!tail) return `${JSON.stringify(clause)}: no status code (like 200)`;
  let middle = tail[1];
  const headers: Record<string, string> = {};
  middle = middle.replace(/\[([^\]:]+):\s*([^\]]*)\]/g, (_, name: string, value: string) => {
    headers[name.trim().toLowerCase()] = value.trim();
    return '';
  }).trim();
  if (middle) {
    try {
      JSON.parse(middle);
    } catch {
      return `${JSON.stringify(clause)}: the request body is not JSON`;
    }
  }
  const port = /^:(\d+)(\/.*)$/.exec(target);
  return {
    text: clause,
    method,
    path: port ? port[2] : target,
    port: port ? Number(port[1]) : undefined,
    headers,
    body: middle || undefined,
    statuses: tail[2].split('|').map(Number),
    contains: [...tail[3].matchAll(/"(?:[^"\\]|\\.)*"/g)].map((m) => JSON.parse(m[0]) as string),
  };
}

/**
 * The doc tests of the given pages, and the problems found: a block with neither a doc-test comment nor
 * a block that imports it, or a comment that does not parse.
 */
export function planDocTests(pages: Record<string, string>): { tests: DocTest[]; problems: string[] } {
  const tests: DocTest[] = [];
  const problems: string[] = [];
  for (const [page, markdown] of Object.entries(pages)) {
    const snippets = extractSnippets(page, markdown);
    const sets = snippetSets(snippets);
    const befores = snippets.flatMap((s) => [...(s.docTest ?? '').matchAll(/^\s*before\s+(\S+)/gm)].map((m) => m[1]));
    for (const snippet of snippets) {
      const at = `${page}:${snippet.docTestLine ?? snippet.line}`;
      if (snippet.docTest === undefined) {
        const base = snippet.file.replace(/^.*\//, '').replace(/\.ts$/, '');
        const imported = snippets.some((other) => other !== snippet && other.code.includes(`'./${base}.js'`)) || befores.includes(snippet.file);
        if (!imported) {
          problems.push(
            `${page}:${snippet.line}: this \`\`\`ts block has no <!-- doc-test: … --> comment above it (boot AppModule, main, jest or skip: why, ` +
              'then the requests it must answer; see test/support/doc-snippets.ts) and no other block of the page imports it.',
          );
        }
        continue;
      }
      const set = sets.find((s) => s.get(snippet.file) === snippet) ?? new Map([...sets[0], [snippet.file, snippet]]);
      const files = new Map([...set].map(([name, s]) => [name, s.code]));
      const test: DocTest = {
        page, line: snippet.line, kind: 'skip', file: snippet.file, before: [], env: {}, ports: [], tmpdirs: [], steps: [], files,
        dir: `${page.replace(/[^\w-]+/g, '_')}-L${snippet.line}`,
      };
      const clauses = snippet.docTest.split('\n').map((c) => c.trim()).filter(Boolean);
      const first = clauses.shift() ?? '';
      let match: RegExpExecArray | null;
      if ((match = /^boot\s+(\w+)$/.exec(first))) Object.assign(test, { kind: 'boot', module: match[1] });
      else if (first === 'main' || first === 'jest') test.kind = first;
      else if ((match = /^skip:\s*(\S.*)$/.exec(first))) Object.assign(test, { kind: 'skip', reason: match[1] });
      else problems.push(`${at}: a doc-test comment starts with "boot <Module>", "main", "jest" or "skip: <why>"; got ${JSON.stringify(first)}`);
      for (const clause of clauses) {
        if ((match = /^before\s+(\S+)$/.exec(clause))) {
          if (!files.has(match[1])) problems.push(`${at}: "before ${match[1]}": the page has no block // ${match[1]}`);
          test.before.push(match[1]);
        } else if ((match = /^env\s+(\w+)=(.*)$/.exec(clause))) test.env[match[1]] = match[2];
        else if ((match = /^port\s+(\d+)$/.exec(clause))) test.ports.push(Number(match[1]));
        else if ((match = /^tmpdir\s+(\S+)$/.exec(clause))) test.tmpdirs.push(match[1]);
        else if ((match = /^with\s+(\S+)\s+(\w+)$/.exec(clause))) {
          if (!files.has(match[1])) problems.push(`${at}: "with ${match[1]}": the page has no block // ${match[1]}`);
          test.within = { file: match[1], module: match[2] };
        } else if (clause.startsWith('call ')) {
          const call = parseCall(clause);
          if (typeof call === 'string') problems.push(`${at}: ${call}`);
          else test.steps.push(call);
        } else {
          const step = parseStep(clause);
          if (typeof step === 'string') problems.push(`${at}: ${step}`);
          else test.steps.push(step);
        }
      }
      if (test.kind === 'skip' && clauses.length) problems.push(`${at}: a skipped block takes no other clause`);
      if ((test.kind === 'boot' || test.kind === 'main') && test.steps.length === 0) problems.push(`${at}: name at least one request the app must answer, like "GET /metrics 200"`);
      tests.push(test);
    }
  }
  return { tests, problems };
}

/** The bare package names the given doc tests import (not `node:` built-ins, not relative files). */
export function importedPackages(tests: DocTest[]): string[] {
  const names = new Set<string>();
  for (const test of tests) {
    for (const code of test.files.values()) {
      for (const m of code.matchAll(/(?:from\s+|import\s+|require\()['"]([^'"./][^'"]*)['"]/g)) {
        if (m[1].startsWith('node:')) continue;
        names.add(m[1].split('/').slice(0, m[1].startsWith('@') ? 2 : 1).join('/'));
      }
    }
  }
  return [...names].sort();
}

/**
 * Transpiles a doc test's files to CommonJS under `root/<test.dir>/` (decorators and their metadata
 * as an app's tsconfig emits them). `specifiers` maps an import (`nestjs-observability`) to what to
 * require instead; `substitutions` replaces the snippet's fixed ports and folders.
 */
export function writeDocTest(test: DocTest, root: string, specifiers: Record<string, string>, substitutions: Record<string, string> = {}): void {
  const { mkdirSync, writeFileSync } = require('node:fs') as typeof import('node:fs');
  for (const [name, source] of test.files) {
    let code = source;
    // Longest first, and a number only as a whole word.
    for (const [fixed, free] of Object.entries(substitutions).sort((a, b) => b[0].length - a[0].length)) {
      code = /^\d+$/.test(fixed) ? code.replace(new RegExp(`\\b${fixed}\\b`, 'g'), free) : code.split(fixed).join(free);
    }
    let js = ts.transpileModule(code, {
      fileName: name,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2023,
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        esModuleInterop: true,
      },
    }).outputText;
    js = js.replace(/require\("([^"]+)"\)/g, (whole, spec: string) => (spec in specifiers ? `require(${JSON.stringify(specifiers[spec])})` : whole));
    const out = join(root, test.dir, name.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, js);
  }
}

/** A plan for `node doc-snippet-runner.js`: the tests as the runner reads them (file names in .js). */
export function runnerPlan(test: DocTest, portMap: Record<number, number> = {}): Record<string, unknown> {
  const js = (file: string) => file.replace(/\.ts$/, '.js');
  return {
    page: test.page,
    line: test.line,
    kind: test.kind,
    file: js(test.file),
    module: test.module,
    within: test.within && { file: js(test.within.file), module: test.within.module },
    before: test.before.map(js),
    env: test.env,
    ports: test.ports,
    portMap,
    steps: test.steps,
    dir: test.dir,
  };
}
