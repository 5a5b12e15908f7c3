/**
 * Every ```ts block of README.md and docs/*.md boots and answers (issue 20): each block's
 * `<!-- doc-test: … -->` comment says how it runs and which requests it must answer (the grammar is on
 * `DocTest` in test/support/doc-snippets.ts). Here the blocks are transpiled to CommonJS and run on the
 * repo's Nest 12 (ESM, through `require(esm)`) with `nestjs-observability` mapped to lib/;
 * test/e2e/packaging.spec.ts runs the same plan on Nest 11 (CommonJS) with the packed tarball.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DOC_TEST_KNOWN_FAILURES as KNOWN_FAILURES, DocTest, planDocTests, readDocPages, runnerPlan, writeDocTest } from '../support/doc-snippets';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { runDocTest, freePort } = require('../support/doc-snippet-runner.js') as {
  runDocTest(test: Record<string, unknown>, dir: string, deps: { require: NodeJS.Require; expect: unknown; observability: string }): Promise<string[]>;
  freePort(): Promise<number>;
};

const ROOT = resolve(__dirname, '../..');
const SPECIFIERS = { 'nestjs-observability': join(ROOT, 'lib', 'index'), 'nestjs-observability/register': join(ROOT, 'lib', 'register') };

const { tests, problems } = planDocTests(readDocPages());
const runnable = tests.filter((test) => test.kind !== 'skip');
const name = (test: DocTest) => `${test.page}:${test.line} (${test.kind}${test.module ? ` ${test.module}` : ''}: ${test.file})`;

describe('documentation snippets boot and answer (Nest 12)', () => {
  const root = join(ROOT, '.tmp', `doc-tests-${process.pid}`);
  const portMaps = new Map<DocTest, Record<number, number>>();

  beforeAll(async () => {
    mkdirSync(root, { recursive: true });
    for (const test of runnable) {
      const portMap: Record<number, number> = {};
      const substitutions: Record<string, string> = {};
      for (const port of test.ports) substitutions[port] = String((portMap[port] = await freePort()));
      for (const dir of test.tmpdirs) substitutions[dir] = mkdtempSync(join(root, 'tmpdir-'));
      portMaps.set(test, portMap);
      writeDocTest(test, root, SPECIFIERS, substitutions);
    }
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('every block says how it runs, in a doc-test comment that parses', () => {
    expect(problems).toEqual([]);
    expect(runnable.length).toBeGreaterThan(15);
    for (const test of tests.filter((t) => t.kind === 'skip')) expect(test.reason!.length).toBeGreaterThan(20);
  });

  for (const test of runnable) {
    const known = KNOWN_FAILURES[`${test.page}:${test.line}`];
    (known ? it.failing : it)(`${name(test)}${known ? ` [known failure: ${known}]` : ''}`, async () => {
      const checked = await runDocTest(runnerPlan(test, portMaps.get(test)), join(root, test.dir), { require, expect, observability: SPECIFIERS['nestjs-observability'] });
      expect(checked.length).toBeGreaterThan(0);
    }, 60_000);
  }
});
