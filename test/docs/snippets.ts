/**
 * snippets: the JavaScript and TypeScript code blocks of README.md and docs/, read with marked's
 * lexer, and what each one's `<!-- snippet: ... -->` directive (an HTML comment right above the
 * fence) asks the test to do with it.
 *
 * Directive tokens (space-separated, all optional):
 * - `id=<name>`        this block can be named by later blocks' `setup=`.
 * - `setup=<a>,<b>`    prepend these blocks first: an `id=` block of the same page, else
 *                      `test/docs/setup/<name>.ts` (context a reader is told about in the prose,
 *                      e.g. an Express `app` or a database client).
 * - `fragment`         only part of a program (a method body, an object member): type-checked with
 *                      its setup, never run.
 * - `port`             the snippet listens on a fixed port; run it alone (snippets run one by one).
 * A block without a directive is a whole program: it is type-checked (TypeScript blocks) and run.
 * A ```text block with `<!-- snippet: output -->` right after a run block is what it must print;
 * a line `...` there stands for any number of lines, and `<…>` inside a line for any text.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Lexer, type Token, type Tokens } from 'marked';

export const LANGUAGES = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs', 'cjs']);

export interface Snippet {
  /** doc: the page, relative to the repository root. */
  doc: string;
  /** line: the line of the opening fence (1-based), for messages. */
  line: number;
  lang: 'ts' | 'js' | 'cjs';
  code: string;
  id?: string;
  setup: string[];
  fragment: boolean;
  /** expectedOutput: the output block that follows it, when there is one. */
  expectedOutput?: string;
}

/** markdownFiles: README.md and every page under docs/. */
export function markdownFiles(root: string): string[] {
  const found = [join(root, 'README.md')];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md')) found.push(path);
    }
  };
  walk(join(root, 'docs'));
  return found.map((p) => relative(root, p));
}

function directive(token: Token | undefined): string[] | undefined {
  if (token?.type !== 'html') return undefined;
  const match = /<!--\s*snippet:([^>]*)-->/.exec((token as Tokens.HTML).text);
  return match ? match[1].trim().split(/\s+/).filter(Boolean) : undefined;
}

function language(lang: string | undefined): Snippet['lang'] | undefined {
  if (lang === undefined || !LANGUAGES.has(lang)) return undefined;
  if (lang === 'cjs') return 'cjs';
  return lang === 'ts' || lang === 'typescript' ? 'ts' : 'js';
}

/** extractSnippets: the snippets of one page, in order. Throws on a directive token it does not know. */
export function extractSnippets(root: string, doc: string): Snippet[] {
  const all = Lexer.lex(readFileSync(join(root, doc), 'utf8'));
  const lineOf = new Map<Token, number>();
  let line = 1;
  for (const t of all) {
    lineOf.set(t, line);
    line += (t.raw.match(/\n/g) ?? []).length;
  }
  const tokens = all.filter((t) => t.type !== 'space');
  const snippets: Snippet[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.type !== 'code') continue;
    const code = token as Tokens.Code;
    const words = directive(tokens[i - 1]) ?? [];
    if (words.includes('output')) {
      const previous = snippets.at(-1);
      if (previous === undefined) throw new Error(`${doc}:${lineOf.get(token)}: an output block with no snippet before it`);
      previous.expectedOutput = code.text;
      continue;
    }
    const lang = language(code.lang);
    if (lang === undefined) continue;
    const snippet: Snippet = { doc, line: lineOf.get(token) ?? 0, lang, code: code.text, setup: [], fragment: false };
    for (const word of words) {
      if (word === 'fragment') snippet.fragment = true;
      else if (word === 'port') continue;
      else if (word.startsWith('id=')) snippet.id = word.slice(3);
      else if (word.startsWith('setup=')) snippet.setup.push(...word.slice(6).split(','));
      else throw new Error(`${doc}:${snippet.line}: unknown snippet directive "${word}"`);
    }
    snippets.push(snippet);
  }
  return snippets;
}

/**
 * assemble: the snippet's program: its setup blocks (recursively, each once) then its own code.
 * A setup file with a `//@snippet` line takes the snippet's code at that line (a fragment such as
 * a plugin's `apply` method is checked inside the object it belongs to). Import statements are
 * hoisted to the top and repeated ones dropped, so a setup block and the snippet may both import.
 */
export function assemble(root: string, snippet: Snippet, page: Snippet[]): string {
  const seen = new Set<string>();
  const expand = (s: Snippet): string => {
    let program = s.code;
    for (const name of [...s.setup].reverse()) {
      if (seen.has(name)) continue;
      seen.add(name);
      const block = page.find((p) => p.id === name);
      const setup = block !== undefined ? expand(block) : readFileSync(join(root, 'test', 'docs', 'setup', `${name}.ts`), 'utf8');
      program = setup.includes('//@snippet') ? setup.replace('//@snippet', program) : `${setup}\n${program}`;
    }
    return program;
  };
  const imports: string[] = [];
  const body = expand(snippet).replace(IMPORT, (statement) => {
    imports.push(statement.trim());
    return '';
  });
  // The docs show the conventional exporter port; a snippet listens on a free one, so a metricore or
  // OpenTelemetry exporter already on 9464, or a second test run, cannot fail it (EADDRINUSE).
  return [...new Set(imports), body.replaceAll(DOCS_PORT, 'port: 0')].join('\n');
}

const DOCS_PORT = /port: 9464\b/g;

const IMPORT = /^import\s[^;]*?['"][^'"\n]+['"];?[ \t]*$/gm;

/** matchesOutput: whether `actual` is what the output block shows (`...` lines and `<…>` spans match anything). */
export function matchesOutput(expected: string, actual: string): boolean {
  const pattern = expected
    .trimEnd()
    .split('\n')
    .map((l) => (l.trim() === '...' ? '(?:.*\\n)*?' : `${l.split('<…>').map(escape).join('.*?')}\\n`))
    .join('');
  return new RegExp(`^${pattern}$`).test(`${actual.trimEnd()}\n`);
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
