/**
 * Executable documentation: every JavaScript and TypeScript block of README.md and docs/ is
 * type-checked (TypeScript) and run (unless marked `fragment`), against the built packages, and its
 * output compared with the output block the page shows after it. test/docs/snippets.ts documents
 * the `<!-- snippet: ... -->` directives.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { assemble, extractSnippets, markdownFiles, matchesOutput, type Snippet } from './snippets.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'test', 'docs', '.out');
const EXTENSIONS = { ts: '.mts', js: '.mjs', cjs: '.cjs' } as const;

const pages = markdownFiles(root).map((doc) => ({ doc, snippets: extractSnippets(root, doc) }));
const files = new Map<Snippet, string>();
for (const { doc, snippets } of pages) {
  for (const s of snippets) files.set(s, join(out, `${doc.replace(/[/.]/g, '_')}-${s.line}${EXTENSIONS[s.lang]}`));
}

/** Type errors by file, from one `tsc` run over every TypeScript snippet. */
const typeErrors = new Map<string, string[]>();

beforeAll(() => {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  for (const { snippets } of pages) for (const s of snippets) writeFileSync(files.get(s)!, assemble(root, s, snippets));
  const tsFiles = [...files].filter(([s]) => s.lang === 'ts').map(([, f]) => relative(out, f));
  writeFileSync(
    join(out, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true,
        skipLibCheck: true, types: ['node'], moduleDetection: 'force',
      },
      files: tsFiles,
    }),
  );
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', out], { cwd: root, encoding: 'utf8' });
  for (const line of tsc.stdout.split('\n')) {
    const match = /^(.+?)\(\d+,\d+\): error/.exec(line);
    if (match) {
      const file = join(root, match[1]);
      typeErrors.set(file, [...(typeErrors.get(file) ?? []), line]);
    }
  }
}, 120_000);

for (const { doc, snippets } of pages) {
  if (snippets.length === 0) continue;
  describe(doc, () => {
    for (const snippet of snippets) {
      const label = `${doc}:${snippet.line}${snippet.fragment ? ' (fragment, type-checked)' : ''}`;
      it(label, () => {
        const file = files.get(snippet)!;
        expect(typeErrors.get(file) ?? [], `type errors in ${label} (${file})`).toEqual([]);
        if (snippet.fragment) return;
        const run = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test', 'docs', 'run-snippet.mjs'), file], {
          cwd: root,
          encoding: 'utf8',
          timeout: 60_000,
          env: { ...process.env, NODE_NO_WARNINGS: '1' },
        });
        expect(run.status, `${label} exited with ${run.status}${run.signal ?? ''}:\n${run.stderr}`).toBe(0);
        if (snippet.expectedOutput !== undefined) {
          expect(matchesOutput(snippet.expectedOutput, run.stdout), `${label} printed:\n${run.stdout}\nthe page shows:\n${snippet.expectedOutput}`).toBe(true);
        }
      });
    }
  });
}

it('finds the snippets of the docs', () => {
  const count = pages.reduce((n, p) => n + p.snippets.length, 0);
  expect(count).toBeGreaterThan(20);
});
