/**
 * The tree cache with real tar and zstd: a stored tree comes back the same; a truncated,
 * overwritten, unreadable or half-written entry is never restored — it is evicted with a
 * warning and made again; a cache dir that is full (a 1 MiB tmpfs) or read-only turns writes
 * into a warning, the build's tree is still made, and no partial file is left.
 */
import test from 'ava';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { chmod, lstat, mkdir, readdir, readFile, readlink, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHostRunner, silentLogger, type Logger } from '@dib/core';
import { DirCache, isLocked } from '#core/cache/cache.js';
import { CACHE_TEMP_MARKER } from '#core/cache/entries.js';
import { tmpDir } from '../helpers/tmp.js';

const isRoot = process.getuid?.() === 0;
const host = createHostRunner({ log: silentLogger });

function capture(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log: Logger = { debug() {}, info: (m) => lines.push(`I: ${m}`), warn: (m) => lines.push(`W: ${m}`), error: (m) => lines.push(`E: ${m}`), child: () => log };
  return { log, lines };
}

async function makeTree(dir: string, text = 'hello'): Promise<void> {
  await mkdir(path.join(dir, 'etc'), { recursive: true });
  await mkdir(path.join(dir, 'usr/bin'), { recursive: true });
  await writeFile(path.join(dir, 'etc/greeting'), `${text}\n`);
  await writeFile(path.join(dir, 'usr/bin/tool'), '#!/bin/sh\necho tool\n');
  await chmod(path.join(dir, 'usr/bin/tool'), 0o4755);
  await execa('ln', ['-s', '../etc/greeting', path.join(dir, 'usr/greeting')]);
  // some bulk, so truncation cuts real data
  await writeFile(path.join(dir, 'usr/blob'), Buffer.alloc(256 * 1024, 7));
}

async function filesWithMarker(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const n of await readdir(dir, { recursive: true }).catch(() => [] as string[])) if (String(n).includes(CACHE_TEMP_MARKER)) out.push(String(n));
  return out;
}

test('store and restore: the same tree, a manifest with checksum and inputs', async (t) => {
  const dir = await tmpDir('dib-tree-');
  const cache = new DirCache(path.join(dir, 'cache'), false);
  await makeTree(path.join(dir, 'src'));
  const trees = cache.trees('checkpoints');
  const m = await trees.store('k1', path.join(dir, 'src'), { host, inputs: { phase: 'root', env: { A: '1' } } });
  t.truthy(m);
  t.is(m!.key, 'k1');
  t.regex(m!.sha256, /^[0-9a-f]{64}$/);
  t.is((await stat(path.join(dir, 'cache/checkpoints', m!.file))).size, m!.bytes);
  t.deepEqual(JSON.parse(await readFile(path.join(dir, 'cache/checkpoints/k1.json'), 'utf8')).inputs, { phase: 'root', env: { A: '1' } });
  const hit = await trees.restore('k1', path.join(dir, 'dst'), { host });
  t.truthy(hit);
  t.is(await readFile(path.join(dir, 'dst/etc/greeting'), 'utf8'), 'hello\n');
  t.is((await stat(path.join(dir, 'dst/usr/bin/tool'))).mode & 0o7777, 0o4755);
  t.is(await readlink(path.join(dir, 'dst/usr/greeting')), '../etc/greeting');
  t.is(await trees.restore('nope', path.join(dir, 'x'), { host }), undefined);
});

const corruptions: Array<[string, (file: string, manifest: string) => Promise<void>, RegExp]> = [
  ['truncated data', (f) => truncate(f, 1000), /has 1000 bytes, the manifest says \d+ \(truncated or overwritten\)/],
  [
    'same-size garbage',
    async (f) => {
      const size = (await stat(f)).size;
      await writeFile(f, Buffer.alloc(size, 0x5a));
    },
    /does not match its sha256/,
  ],
  ['an unreadable manifest', (_f, m) => writeFile(m, '{"format": 1, "key": '), /manifest is unreadable/],
  ['a missing data file', (f) => execa('rm', ['-f', f]).then(() => undefined), /data file .* is missing/],
];

for (const [what, corrupt, reason] of corruptions) {
  test(`${what}: evicted with a warning, never restored, made again`, async (t) => {
    const dir = await tmpDir('dib-tree-');
    const { log, lines } = capture();
    const cache = new DirCache(path.join(dir, 'cache'), false, log);
    const trees = cache.trees('roots');
    await makeTree(path.join(dir, 'src'));
    const m = (await trees.store('root-a', path.join(dir, 'src'), { host, inputs: {} }))!;
    const data = path.join(dir, 'cache/roots', m.file);
    const manifest = path.join(dir, 'cache/roots/root-a.json');
    await corrupt(data, manifest);

    const target = path.join(dir, 'target');
    let made = 0;
    const r = await trees.restoreOrMake(
      'root-a',
      target,
      async () => {
        made++;
        await makeTree(target, 'made again');
      },
      { host, inputs: {} },
    );
    t.false(r.hit);
    t.is(made, 1);
    t.is(await readFile(path.join(target, 'etc/greeting'), 'utf8'), 'made again\n');
    const warning = lines.find((l) => l.startsWith('W: cache entry roots/root-a is corrupt'));
    t.truthy(warning, lines.join('\n'));
    t.regex(warning!, reason);
    t.regex(warning!, /removed, it will be made again/);
    // the new entry is whole and is what the next build restores
    const again = await trees.restore('root-a', path.join(dir, 'next'), { host });
    t.truthy(again);
    t.is(await readFile(path.join(dir, 'next/etc/greeting'), 'utf8'), 'made again\n');
    t.deepEqual(await filesWithMarker(path.join(dir, 'cache')), []);
  });
}

test('leftovers of a writer killed before its commit are swept, never taken for an entry', async (t) => {
  const dir = await tmpDir('dib-tree-');
  const cache = new DirCache(path.join(dir, 'cache'), false);
  const trees = cache.trees('roots');
  await mkdir(path.join(dir, 'cache/roots'), { recursive: true });
  // a killed writer's temporary data, and a data file whose manifest never got written
  await writeFile(path.join(dir, 'cache/roots', `.root-b.tar.zst${CACHE_TEMP_MARKER}dead`), 'half');
  await writeFile(path.join(dir, 'cache/roots/root-b.tar.zst'), 'no manifest');
  t.is(await trees.restore('root-b', path.join(dir, 't0'), { host }), undefined);
  await makeTree(path.join(dir, 'src'));
  const r = await trees.restoreOrMake('root-b', path.join(dir, 't1'), () => makeTree(path.join(dir, 't1')), { host, inputs: {} });
  t.false(r.hit);
  t.truthy(r.manifest);
  t.deepEqual(await filesWithMarker(path.join(dir, 'cache')), []);
  t.truthy(await trees.restore('root-b', path.join(dir, 't2'), { host }));
});

test('two builds making one entry at once: made once, one intact entry', async (t) => {
  const dir = await tmpDir('dib-tree-');
  const trees = new DirCache(path.join(dir, 'cache'), false).trees('checkpoints');
  let made = 0;
  const build = (name: string) =>
    trees.restoreOrMake(
      'shared',
      path.join(dir, name),
      async () => {
        made++;
        await new Promise((r) => setTimeout(r, 300));
        await makeTree(path.join(dir, name));
      },
      { host, inputs: {} },
    );
  const [a, b] = await Promise.all([build('a'), build('b')]);
  t.is(made, 1);
  t.deepEqual([a.hit, b.hit].sort(), [false, true]);
  t.is(await readFile(path.join(dir, 'b/etc/greeting'), 'utf8'), 'hello\n');
  t.is(await readFile(path.join(dir, 'a/etc/greeting'), 'utf8'), 'hello\n');
  t.deepEqual((await readdir(path.join(dir, 'cache/checkpoints'))).sort(), ['shared.json', a.manifest?.file ?? b.manifest!.file].sort());
  for (const n of await readdir(path.join(dir, 'cache/locks'))) t.false(await isLocked(path.join(dir, 'cache/locks', n)));
});

const rootOnly = isRoot ? test.serial : test.skip;

rootOnly('a full cache dir (1 MiB tmpfs): a warning, the tree is still made, no partial file, later writes skipped', async (t) => {
  const dir = await tmpDir('dib-tree-');
  const mnt = path.join(dir, 'small');
  await mkdir(mnt);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'dib-test-full', mnt]);
  t.teardown(() => execa('umount', ['-l', mnt]).then(() => undefined));
  const { log, lines } = capture();
  // the pre-flight sees that 1 MiB is too little to cache anything
  const checked = new DirCache(path.join(mnt, 'checked'), false, log);
  await checked.prepare();
  t.false(checked.writable);
  t.regex(lines.shift() ?? '', /^W: the cache dir is full \(\d+ KiB free\) \(.*\): this build stores nothing more in the cache and goes on without it$/);
  // without it, the write itself hits ENOSPC
  const cache = new DirCache(path.join(mnt, 'cache'), false, log);
  const trees = cache.trees('roots');
  const target = path.join(dir, 'target');
  const r = await trees.restoreOrMake(
    'big',
    target,
    async () => {
      await makeTree(target);
      // 4 MiB of incompressible data: more than the cache can hold
      await writeFile(path.join(target, 'usr/random'), (await execa('head', ['-c', '4194304', '/dev/urandom'], { encoding: 'buffer' })).stdout);
    },
    { host, inputs: {} },
  );
  t.false(r.hit);
  t.is(r.manifest, undefined);
  t.true(existsSync(path.join(target, 'usr/random')), 'the build goes on with its tree');
  t.truthy(lines.find((l) => /^W: could not store roots\/big in the cache \(the cache dir is full\); the build goes on without it$/.test(l)), lines.join('\n'));
  t.false(cache.writable);
  t.deepEqual(await filesWithMarker(mnt), []);
  t.deepEqual(await readdir(path.join(mnt, 'cache/roots')), []);
  // the next write is skipped at once, quietly
  t.is(await trees.store('other', target, { host, inputs: {} }), undefined);
});

rootOnly('a read-only cache dir: a warning, reads still work, nothing is written', async (t) => {
  const dir = await tmpDir('dib-tree-');
  const cacheDir = path.join(dir, 'cache');
  // fill it while writable, then remount it read-only
  await mkdir(cacheDir);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'dib-test-ro', cacheDir]);
  t.teardown(() => execa('umount', ['-l', cacheDir]).then(() => undefined));
  await makeTree(path.join(dir, 'src'));
  t.truthy(await new DirCache(cacheDir, false).trees('roots').store('have', path.join(dir, 'src'), { host, inputs: {} }));
  await execa('mount', ['-o', 'remount,ro', cacheDir]);

  const { log, lines } = capture();
  const cache = new DirCache(cacheDir, false, log);
  await cache.prepare();
  t.false(cache.writable);
  t.truthy(lines.find((l) => /^W: the cache dir is read-only \(.*\): this build stores nothing more in the cache and goes on without it$/.test(l)), lines.join('\n'));
  const trees = cache.trees('roots');
  t.truthy(await trees.restore('have', path.join(dir, 'a'), { host }), 'an intact entry is still used');
  let made = 0;
  const r = await trees.restoreOrMake('missing', path.join(dir, 'b'), async () => void made++, { host, inputs: {} });
  t.deepEqual([r.hit, made], [false, 1]);
  t.is((await lstat(path.join(dir, 'b'))).isDirectory(), true);
});
