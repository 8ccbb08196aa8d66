/**
 * Directory entries of the cache (checkpoint layers, cached outputs): committed by manifest,
 * verified against their stat index before every use, evicted when damaged, never half
 * visible; pruning skips an entry in use.
 */
import test from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { DirCache } from '#core/cache/cache.js';
import { DirEntryStore } from '#core/cache/dir-entries.js';
import { indexDifference, indexDir, linkGroups } from '#core/cache/dir-index.js';
import { tmpDir, writeTree } from '../helpers/tmp.js';

async function store() {
  const dir = await tmpDir('dib-dir-entries-');
  const cache = new DirCache(path.join(dir, 'cache'), false);
  await cache.prepare();
  const src = path.join(dir, 'src');
  await writeTree(src, { 'a/file': 'hello\n', 'a/b/deep': 'deep\n', top: 'top\n' });
  await fs.link(path.join(src, 'top'), path.join(src, 'a', 'top-link'));
  return { dir, cache, src, s: new DirEntryStore(cache, 'checkpoints') };
}

const move = (src: string) => ({ fill: async (d: string) => fs.rename(src, path.join(d, 'tree')), unfill: async (d: string) => fs.rename(path.join(d, 'tree'), src) });

test('a committed entry opens verified, holds its inputs and parent, and knows its hard links', async (t) => {
  const { s, src } = await store();
  const r = await s.commit('k1', move(src), { inputs: { 'env X': '1' }, parent: { key: 'k0', instance: 'abc' }, meta: { group: 'root' } });
  t.true(r.committed);
  if (!r.committed) return;
  t.false(await fs.pathExists(src), 'the tree was moved, not copied');
  t.is(r.manifest.entries, 7);
  t.is(r.manifest.bytes, 'hello\n'.length + 'deep\n'.length + 'top\n'.length, 'a hard link counts once');
  const o = await s.open('k1');
  t.true(o.ok);
  if (!o.ok) return;
  t.deepEqual(o.entry.manifest.inputs, { 'env X': '1' });
  t.deepEqual(o.entry.manifest.parent, { key: 'k0', instance: 'abc' });
  const index = (await fs.readFile(path.join(o.entry.dir, 'index'), 'utf8')).split('\n').filter(Boolean);
  t.deepEqual(linkGroups(index, 'tree').map((g) => g.sort()), [['a/top-link', 'top']]);
  await o.entry.release();
  // a second commit of the same key on the same parent is skipped: the first is intact
  const again = await s.commit('k1', { fill: async () => t.fail('not filled') }, { inputs: {}, parent: { key: 'k0', instance: 'abc' } });
  t.false(again.committed);
  if (!again.committed) t.is(again.reason, 'another build stored it first');
  // made on another instance of its parent, or refused, it is replaced
  for (const info of [{ parent: { key: 'k0', instance: 'def' } }, { parent: { key: 'k0', instance: 'def' }, replace: true }]) {
    const before = await s.open('k1');
    if (!before.ok) return t.fail();
    const old = before.entry.manifest.instance;
    await before.entry.release();
    const tree = await fs.mkdtemp(path.join(path.dirname(src), 'again-'));
    await fs.writeFile(path.join(tree, 'new'), 'new\n');
    const replaced = await s.commit('k1', move(tree), { inputs: {}, ...info });
    t.true(replaced.committed, JSON.stringify(info));
    const after = await s.open('k1');
    if (!after.ok) return t.fail();
    t.not(after.entry.manifest.instance, old);
    t.deepEqual(after.entry.manifest.parent, info.parent);
    await after.entry.release();
  }
});

test('a truncated, rewritten, added or removed file makes the entry corrupt: evicted, a miss', async (t) => {
  for (const damage of ['truncate', 'rewrite', 'add', 'remove', 'chmod'] as const) {
    const { s, src } = await store();
    const r = await s.commit('k', move(src), { inputs: {} });
    if (!r.committed) return t.fail();
    const tree = path.join(r.dir, 'tree');
    if (damage === 'truncate') await fs.truncate(path.join(tree, 'a/file'), 2);
    if (damage === 'rewrite') await fs.writeFile(path.join(tree, 'a/file'), 'HELLO\n');
    if (damage === 'add') await fs.writeFile(path.join(tree, 'a/new'), 'x');
    if (damage === 'remove') await fs.rm(path.join(tree, 'a/b/deep'));
    if (damage === 'chmod') await fs.chmod(path.join(tree, 'top'), 0o600);
    const o = await s.open('k');
    t.false(o.ok, damage);
    if (!o.ok && !o.missing) t.regex(o.reason, /^the cached entry was corrupt \(/, damage);
    t.false(await fs.pathExists(s.manifestPath('k')), `${damage}: evicted`);
    t.false(await fs.pathExists(s.entryDir('k')), `${damage}: its tree is gone`);
  }
});

test('a tree without a manifest is no entry; the next commit of its key and a sweep clear leftovers', async (t) => {
  const { s, src, dir } = await store();
  // what a writer killed before the manifest leaves: the tree at its name, a temporary dir
  await fs.copy(src, path.join(s.entryDir('k'), 'tree'));
  await fs.ensureDir(path.join(s.dir, '.k.dib-tmp-0123abcd'));
  await fs.ensureDir(path.join(s.dir, '.other.dib-tmp-0123abcd'));
  const o = await s.open('k');
  t.true(!o.ok && o.missing);
  t.deepEqual(await s.list(), []);
  const r = await s.commit('k', move(src), { inputs: {} });
  t.true(r.committed);
  t.false(await fs.pathExists(path.join(s.dir, '.k.dib-tmp-0123abcd')));
  t.deepEqual((await s.sweep()).sort(), ['.other.dib-tmp-0123abcd']);
  const opened = await s.open('k');
  t.true(opened.ok);
  if (opened.ok) await opened.entry.release();
  await fs.remove(dir);
});

test('remove keeps an entry a build holds; refuse turns down an intact one', async (t) => {
  const { s, src } = await store();
  await s.commit('k', move(src), { inputs: {} });
  const o = await s.open('k');
  if (!o.ok) return t.fail();
  t.is(await s.remove('k'), 'busy');
  await o.entry.release();
  const refused = await s.open('k', () => 'too old');
  t.deepEqual(refused, { ok: false, missing: false, reason: 'too old' });
  t.true(await fs.pathExists(s.manifestPath('k')), 'an entry refused is not evicted');
  t.is(await s.remove('k'), 'removed');
  t.is(await s.remove('k'), 'missing');
});

test('the index describes a difference in words', async (t) => {
  const dir = await tmpDir('dib-dir-index-');
  await writeTree(dir, { f: 'abc', g: 'x' });
  const a = (await indexDir(dir)).lines;
  await fs.truncate(path.join(dir, 'f'), 1);
  t.regex(indexDifference(a, (await indexDir(dir)).lines)!, /^f has 1 bytes instead of 3 \(truncated or overwritten\)$/);
  await fs.rm(path.join(dir, 'g'));
  t.is(indexDifference(a.filter((l) => !l.endsWith('\tf')), (await indexDir(dir)).lines.filter((l) => !l.endsWith('\tf'))), 'g is missing');
  t.is(indexDifference(a, a), undefined);
});
