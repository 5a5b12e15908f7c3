/**
 * Every ```ts block of README.md and docs/*.md compiles as shown, as a CommonJS (Nest 11) and as an
 * ESM (Nest 12) app, against the library's sources. See test/support/doc-snippets.ts.
 */
import { checkSnippets, extractSnippets, readDocPages, SnippetError } from '../support/doc-snippets';

const format = (errors: SnippetError[]) => errors.map((e) => `${e.page}:${e.line} (${e.mode}): ${e.message}`).join('\n');

describe('documentation snippets', () => {
  it('every ```ts block in README.md and docs/*.md type-checks as CommonJS and as ESM', () => {
    const pages = readDocPages();
    const count = Object.entries(pages).reduce((n, [page, text]) => n + extractSnippets(page, text).length, 0);
    expect(count).toBeGreaterThan(10);
    const errors = checkSnippets(pages);
    if (errors.length) throw new Error(`Documentation snippets that do not compile:\n${format(errors)}`);
  }, 120_000);

  it('reports a broken snippet at its line in the page, and top-level await in CommonJS only', () => {
    const page = [
      '# t',
      '',
      '```ts',
      "import { Counted } from 'nestjs-observability';",
      'const n: number = Counted;',
      '```',
      '',
      '```ts',
      "await Promise.resolve(1);",
      'export {};',
      '```',
      '',
      '```ts',
      '// src/app.module.ts',
      'export class AppModule {}',
      '```',
      '',
      '```ts',
      '// src/main.ts',
      "import { AppModule } from './app.module.js';",
      'export const m = new AppModule();',
      '```',
    ].join('\n');
    const errors = checkSnippets({ 'docs/t.md': page });
    expect(errors.map((e) => [e.page, e.line, e.mode])).toEqual(
      expect.arrayContaining([
        ['docs/t.md', 5, 'cjs'],
        ['docs/t.md', 5, 'esm'],
        ['docs/t.md', 9, 'cjs'],
      ]),
    );
    expect(errors.filter((e) => e.line === 9 && e.mode === 'esm')).toEqual([]);
    expect(errors.filter((e) => e.line > 10)).toEqual([]);
  }, 120_000);
});
