/**
 * Writes the named ```ts blocks of a docs page (`// src/app.module.ts` first lines) into a temporary folder
 * inside the repo, so that a test can `require()` them and boot what the page shows: the very code of the
 * page, not a copy of it. `nestjs-observability` is the repo's lib/, and the ESM-style `./x.js` imports
 * the snippets use are made extensionless for Jest. Remove the folder with `rmSync` after the test.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { extractSnippets } from './doc-snippets';
import { repoTempDir, ROOT } from './sample-process';

export function writeDocSnippets(page: string): string {
  const dir = repoTempDir('doc-snippets');
  const snippets = extractSnippets(page, readFileSync(join(ROOT, page), 'utf8')).filter((s) => !s.file.startsWith('snippet-'));
  if (snippets.length === 0) throw new Error(`${page} has no named snippet (a block whose first line is "// src/x.ts").`);
  for (const snippet of snippets) {
    const file = join(dir, snippet.file);
    mkdirSync(dirname(file), { recursive: true });
    const code = snippet.code
      .replace(/from 'nestjs-observability'/g, `from ${JSON.stringify(join(ROOT, 'lib'))}`)
      .replace(/from '(\.{1,2}\/[^']+)\.js'/g, "from '$1'");
    writeFileSync(file, code);
  }
  return dir;
}
