/**
 * Parity with upstream DIB: every built-in element that upstream also has declares the same
 * element-deps and element-provides as upstream's element directory (sets: upstream's files are
 * unordered). Runs when python3-diskimage-builder is installed (CI installs it).
 */
import test from 'ava';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Element } from '@dib/core';
import { HAVE_UPSTREAM, UPSTREAM_ELEMENTS } from '../helpers/upstream.js';

const PLUGINS = path.resolve(import.meta.dirname, '../../../plugins');
const run = HAVE_UPSTREAM ? test : test.skip;

function upstreamList(element: string, file: string): string[] {
  const p = path.join(UPSTREAM_ELEMENTS, element, file);
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .sort();
}

async function builtIns(): Promise<Element[]> {
  const out: Element[] = [];
  for (const dir of readdirSync(PLUGINS).sort()) {
    const entry = path.join(PLUGINS, dir, 'dist', 'index.js');
    if (!existsSync(entry)) continue;
    out.push(((await import(pathToFileURL(entry).href)) as { default: Element }).default);
  }
  return out;
}

run("built-in elements' element-deps and element-provides equal upstream's", async (t) => {
  const compared: string[] = [];
  for (const el of await builtIns()) {
    if (!existsSync(path.join(UPSTREAM_ELEMENTS, el.name))) continue;
    compared.push(el.name);
    t.deepEqual([...(el.deps ?? [])].sort(), upstreamList(el.name, 'element-deps'), `element-deps of ${el.name}`);
    t.deepEqual([...(el.provides ?? [])].sort(), upstreamList(el.name, 'element-provides'), `element-provides of ${el.name}`);
  }
  // every built-in but dib's own (the test root, the cpio output format) has an upstream counterpart
  t.deepEqual(
    (await builtIns()).map((e) => e.name).filter((n) => !compared.includes(n)),
    ['busybox-root', 'cpio'],
  );
  t.log(`compared with upstream: ${compared.join(' ')}`);
});

run('the DIB helper elements built-in elements depend on are built in too', async (t) => {
  const names = new Set((await builtIns()).map((e) => e.name));
  for (const el of await builtIns()) {
    for (const d of el.deps ?? []) {
      // virtual names are provided by some built-in (block-device by the block-device-* elements)
      const provided = (await builtIns()).some((x) => (x.provides ?? []).includes(d));
      t.true(names.has(d) || provided, `${el.name} depends on ${d}, which is not built in`);
    }
  }
});
