import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';
import { extractSnippets } from './doc-snippets';
import { ROOT } from './sample-process';

/**
 * The exports of one named ```ts block of a doc page, compiled as a user would (CommonJS, decorators)
 * with `nestjs-observability` resolving to lib/: what a test boots to show the snippet works.
 */
export function loadSnippetModule(page: string, file: string): Record<string, unknown> {
  const snippet = extractSnippets(page, readFileSync(join(ROOT, page), 'utf8')).find((s) => s.file === file);
  if (!snippet) throw new Error(`${page} has no ${file} block`);
  const { outputText } = ts.transpileModule(snippet.code, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, experimentalDecorators: true, emitDecoratorMetadata: true },
  });
  const module = { exports: {} as Record<string, unknown> };
  const load = (name: string) => (name === 'nestjs-observability' ? require('../../lib') : require(name));
  new Function('require', 'module', 'exports', outputText)(load, module, module.exports);
  return module.exports;
}
