/**
 * Every ```ts block of README.md and docs/*.md compiles as shown, as a CommonJS (Nest 11) and as an
 * ESM (Nest 12) app, against the library's sources. See test/support/doc-snippets.ts.
 */
import { checkSnippets, DocTestStep, extractSnippets, planDocTests, readDocPages, SnippetError } from '../support/doc-snippets';

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

  it('checks both versions of a file that a page shows twice', () => {
    const page = ['```ts', '// src/app.module.ts', 'export const a: number = 1;', '```', '', '```ts', '// src/app.module.ts', "export const a: string = 1;", '```'].join('\n');
    const errors = checkSnippets({ 'docs/t.md': page });
    expect(errors.map((e) => e.line)).toEqual([8, 8]);
  }, 120_000);

  it('plans doc tests from the comments above the blocks, and names the blocks that have none', () => {
    const page = [
      '<!-- doc-test: boot AppModule',
      'port 9464',
      'env TOKEN=x y',
      'before src/tracing.ts',
      'call OrdersService.create("web", 2) => {"ok":true}',
      'POST /orders {"n": 201} 201 "\\"id\\"" "two"',
      'GET :9464/metrics [authorization: Bearer s3cret] 200|503',
      '-->',
      '```ts',
      '// src/app.module.ts',
      'export class AppModule {}',
      '```',
      '```ts',
      '// src/tracing.ts',
      '```',
      '```ts',
      'export const orphan = 1;',
      '```',
      '<!-- doc-test: skip: too short -->',
      '```ts',
      'export {};',
      '```',
      '<!-- doc-test: boot AppModule -->',
      '```ts',
      'export {};',
      '```',
    ].join('\n');
    const { tests, problems } = planDocTests({ 'docs/t.md': page });
    expect(problems).toEqual([
      expect.stringMatching(/^docs\/t\.md:17: this ```ts block has no <!-- doc-test/),
      'docs/t.md:23: name at least one request the app must answer, like "GET /metrics 200"',
    ]);
    const [boot, skip] = tests;
    expect(boot).toMatchObject({ kind: 'boot', module: 'AppModule', file: 'src/app.module.ts', ports: [9464], env: { TOKEN: 'x y' }, before: ['src/tracing.ts'] });
    expect([...boot.files.keys()].sort()).toEqual(['snippet-3.ts', 'snippet-4.ts', 'snippet-5.ts', 'src/app.module.ts', 'src/tracing.ts']);
    expect(boot.steps[0]).toMatchObject({ call: { provider: 'OrdersService', method: 'create', args: ['web', 2], result: '{"ok":true}' } });
    expect(boot.steps[1]).toMatchObject({ method: 'POST', path: '/orders', body: '{"n": 201}', statuses: [201], contains: ['"id"', 'two'] } as Partial<DocTestStep>);
    expect(boot.steps[2]).toMatchObject({ method: 'GET', path: '/metrics', port: 9464, headers: { authorization: 'Bearer s3cret' }, statuses: [200, 503], contains: [] });
    expect(skip).toMatchObject({ kind: 'skip', reason: 'too short' });
  });

  it('the docs have no block without a doc-test plan', () => {
    expect(planDocTests(readDocPages()).problems).toEqual([]);
  });
});
