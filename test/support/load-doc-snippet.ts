/**
 * Runs a page's named ```ts block (`// src/x.ts`) in the test: compiled to CommonJS and given the
 * packages the spec already loaded (Nest 12 is ESM only, so the block cannot `require` them itself).
 * `nestjs-observability` is the repo's lib/. Returns the block's exports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { extractSnippets } from './doc-snippets';

export function loadDocSnippet(page: string, file: string, packages: Record<string, unknown>): Record<string, any> {
  const snippet = extractSnippets(page, readFileSync(join(__dirname, '../..', page), 'utf8')).find((s) => s.file === file);
  if (!snippet) throw new Error(`${page} has no block named ${file}`);
  const { outputText } = ts.transpileModule(snippet.code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, experimentalDecorators: true, emitDecoratorMetadata: true, esModuleInterop: true },
  });
  const module = { exports: {} as Record<string, any> };
  const load = (name: string): unknown => {
    if (!(name in packages)) throw new Error(`${page} ${file} imports ${name}: pass it to loadDocSnippet()`);
    return packages[name];
  };
  new Function('require', 'module', 'exports', outputText)(load, module, module.exports);
  return module.exports;
}
