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
import { join, relative, resolve } from 'node:path';
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
    const named = /^\/\/\s*([\w./-]+\.ts)\s*$/.exec(code.split('\n')[0] ?? '');
    snippets.push({ page, line: start + 1, file: named ? named[1] : `snippet-${snippets.length + 1}.ts`, code: `${code}\n` });
    i = end;
  }
  return snippets;
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
      for (const snippet of extractSnippets(page, markdown)) {
        const path = join(dir, page.replace(/[^\w-]+/g, '_'), snippet.file);
        virtual.set(path, snippet.code);
        located.set(path, { page, line: snippet.line, mode });
      }
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
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
    const where = diagnostic.file ? located.get(resolve(diagnostic.file.fileName)) : undefined;
    if (!where) {
      errors.push({ page: diagnostic.file ? relative(ROOT, diagnostic.file.fileName) : '(options)', line: 0, mode: 'cjs', message });
      continue;
    }
    const { line } = diagnostic.file!.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
    errors.push({ page: where.page, line: where.line + line, mode: where.mode, message });
  }
  return errors;
}

/** Reads the user docs from the repo. */
export function readDocPages(root = ROOT): Record<string, string> {
  return Object.fromEntries(docPages(root).map((page) => [page, readFileSync(join(root, page), 'utf8')]));
}
