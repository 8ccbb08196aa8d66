/** docs/errors.md documents every error code of core/src/errors.ts, and nothing else. */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from '../helpers/cli.js';

function codesInSource(): string[] {
  const src = fs.readFileSync(path.join(REPO, 'core', 'src', 'errors.ts'), 'utf8');
  const m = /export type ErrorCode =([^;]+);/.exec(src);
  if (!m) throw new Error('no ErrorCode union in core/src/errors.ts');
  return [...m[1]!.matchAll(/'(E_[A-Z0-9_]+)'/g)].map((x) => x[1]!);
}

function documented(): Map<string, string> {
  const md = fs.readFileSync(path.join(REPO, 'docs', 'errors.md'), 'utf8');
  const out = new Map<string, string>();
  const parts = md.split(/^### /m).slice(1);
  for (const p of parts) {
    const [head, ...body] = p.split('\n');
    out.set(head!.trim(), body.join('\n'));
  }
  return out;
}

test('every code in errors.ts has a section in docs/errors.md with a meaning and a typical fix', (t) => {
  const codes = codesInSource();
  t.true(codes.length >= 20, `parsed ${codes.length} codes`);
  const docs = documented();
  const missing = codes.filter((c) => !docs.has(c));
  t.deepEqual(missing, [], `add a "### CODE" section to docs/errors.md for: ${missing.join(', ')}`);
  for (const c of codes) {
    const body = docs.get(c) ?? '';
    t.regex(body, /\*\*Meaning:\*\* \S/, `${c}: no meaning`);
    t.regex(body, /\*\*Typical fix:\*\* \S/, `${c}: no typical fix`);
  }
});

test('docs/errors.md documents no code that errors.ts does not have', (t) => {
  const codes = new Set(codesInSource());
  t.deepEqual([...documented().keys()].filter((c) => !codes.has(c)), []);
});

test('every DibError raised in the sources uses a code of errors.ts', (t) => {
  const codes = new Set(codesInSource());
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name === 'node_modules' || e.name === 'dist') continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) files.push(p);
    }
  };
  walk(path.join(REPO, 'core', 'src'));
  for (const d of fs.readdirSync(path.join(REPO, 'plugins'))) walk(path.join(REPO, 'plugins', d, 'src'));
  const used = new Set<string>();
  for (const f of files) for (const m of fs.readFileSync(f, 'utf8').matchAll(/new DibError\(\s*'(E_[A-Z0-9_]+)'/g)) used.add(m[1]!);
  t.true(used.size > 10);
  t.deepEqual([...used].filter((c) => !codes.has(c)), []);
});
