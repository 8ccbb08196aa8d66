/**
 * bootstrapRoot's cache logic with a stand-in for mmdebstrap (no network, no root needed
 * except for the owner check, which is skipped when not root). tar and zstd are real.
 */
import test from 'ava';
import { tmpDir } from '../helpers/tmp.js';
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, stat, truncate, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHostRunner, isDibError, silentLogger, type CommandRunner } from '@dib/core';
import { DirCache, isLocked } from '#core/cache/cache.js';
import { bootstrapRoot } from '@dib/element-debootstrap';

const isRoot = process.getuid?.() === 0;

async function setup() {
  const dir = await tmpDir('dib-bootstrap-unit-');
  const keyring = path.join(dir, 'keyring.gpg');
  await writeFile(keyring, 'not really a keyring');
  const env = { DISTRO_NAME: 'debian', DIB_RELEASE: 'bookworm', DIB_DISTRIBUTION_MIRROR: 'http://deb.example/debian', ARCH: 'amd64', DIB_APT_KEYRING: keyring, DIB_DEBOOTSTRAP_TOOL: 'mmdebstrap' };
  const calls: string[][] = [];
  const real = createHostRunner({ log: silentLogger });
  let fail = false;
  let delayMs = 0;
  const host: CommandRunner = {
    withLogger: () => host,
    async run(file, args = [], options) {
      if (file === 'mmdebstrap') {
        calls.push([file, ...args]);
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        if (fail) return Promise.reject(Object.assign(new Error('mmdebstrap failed'), { name: 'DibError', code: 'E_COMMAND_FAILED' }));
        const target = args[args.indexOf('bookworm') + 1]!;
        await mkdir(path.join(target, 'etc/apt/sources.list.d'), { recursive: true });
        await mkdir(path.join(target, 'usr/bin'), { recursive: true });
        await mkdir(path.join(target, 'tmp'), { recursive: true });
        await writeFile(path.join(target, 'etc/os-release'), 'VERSION_CODENAME=bookworm\n');
        await writeFile(path.join(target, 'etc/apt/sources.list'), 'deb http://deb.example/debian bookworm main\n');
        await writeFile(path.join(target, 'usr/bin/hello'), '#!/bin/sh\necho hello\n');
        await chmod(path.join(target, 'usr/bin/hello'), 0o4755);
        await writeFile(path.join(target, 'etc/owned'), 'x');
        if (isRoot) await chown(path.join(target, 'etc/owned'), 1234, 4321);
        await writeFile(path.join(target, 'tmp/junk'), 'x');
        // what mmdebstrap and debootstrap copy from the build host
        await writeFile(path.join(target, 'etc/resolv.conf'), 'nameserver 10.9.8.7\n');
        await writeFile(path.join(target, 'etc/hostname'), 'buildhost\n');
        return { exitCode: 0, stdout: '', stderr: '' };
      }
      return real.run(file, args, options);
    },
    sh: real.sh,
  };
  const cacheDir = path.join(dir, 'cache');
  const opts = (name: string, extra: Record<string, unknown> = {}) => ({
    targetRoot: path.join(dir, name),
    env,
    host,
    cache: new DirCache(cacheDir, false),
    log: silentLogger,
    include: ['sudo'],
    ...extra,
  });
  return {
    dir,
    env,
    calls,
    cacheDir,
    opts,
    setFail(v: boolean) {
      fail = v;
    },
    setDelay(ms: number) {
      delayMs = ms;
    },
  };
}

test('a miss bootstraps and caches; a hit extracts the same tree without running the tool', async (t) => {
  const s = await setup();
  const r1 = await bootstrapRoot(s.opts('root1'));
  t.false(r1.hit);
  t.is(s.calls.length, 1);
  t.truthy(r1.tarball);
  t.true(existsSync(r1.tarball!));
  t.regex(path.basename(r1.tarball!), /^debian-bookworm-amd64-[0-9a-f]{16}\.tar(\.zst)?$/);
  t.true(existsSync(path.join(s.cacheDir, 'roots', `${r1.key}.json`)));
  // DIB: the tool's sources go
  t.false(existsSync(path.join(s.dir, 'root1/etc/apt/sources.list')));
  t.deepEqual(await readdir(path.join(s.dir, 'root1/etc/apt/sources.list.d')), []);

  const r2 = await bootstrapRoot(s.opts('root2'));
  t.true(r2.hit);
  t.is(r2.key, r1.key);
  t.is(r2.tarball, r1.tarball);
  t.is(s.calls.length, 1);
  t.is(await readFile(path.join(s.dir, 'root2/etc/os-release'), 'utf8'), 'VERSION_CODENAME=bookworm\n');
  t.is((await stat(path.join(s.dir, 'root2/usr/bin/hello'))).mode & 0o7777, 0o4755);
  if (isRoot) {
    const st = await stat(path.join(s.dir, 'root2/etc/owned'));
    t.deepEqual([st.uid, st.gid], [1234, 4321]);
  }
  t.false(existsSync(path.join(s.dir, 'root2/tmp/junk')));
  t.false(existsSync(path.join(s.dir, 'root2/etc/apt/sources.list')));
  // no temporary files left behind; the lock files stay (flock: never deleted) and are free
  t.deepEqual((await readdir(path.join(s.cacheDir, 'roots'))).filter((n) => n.startsWith('.')), []);
  for (const n of await readdir(path.join(s.cacheDir, 'locks'))) t.false(await isLocked(path.join(s.cacheDir, 'locks', n)), n);
});

test('offline: a miss is E_OFFLINE_CACHE_MISS naming the key; a hit works', async (t) => {
  const s = await setup();
  const err = await t.throwsAsync(bootstrapRoot(s.opts('r', { cache: new DirCache(s.cacheDir, true) })));
  t.true(isDibError(err));
  t.is((err as { code?: string }).code, 'E_OFFLINE_CACHE_MISS');
  t.regex(err!.message, /debian-bookworm-amd64-[0-9a-f]{16}/);
  t.regex((err as { hint?: string }).hint ?? '', /online/);
  t.is(s.calls.length, 0);
  // DIB_OFFLINE in the environment counts too
  const e2 = await t.throwsAsync(bootstrapRoot(s.opts('r', { env: { ...s.env, DIB_OFFLINE: '1' } })));
  t.is((e2 as { code?: string }).code, 'E_OFFLINE_CACHE_MISS');

  await bootstrapRoot(s.opts('online'));
  const r = await bootstrapRoot(s.opts('offline', { cache: new DirCache(s.cacheDir, true) }));
  t.true(r.hit);
  t.is(s.calls.length, 1);
});

test('concurrent builds with the same key bootstrap once', async (t) => {
  const s = await setup();
  s.setDelay(300);
  const [a, b] = await Promise.all([bootstrapRoot(s.opts('a')), bootstrapRoot(s.opts('b'))]);
  t.is(s.calls.length, 1);
  t.is([a.hit, b.hit].filter(Boolean).length, 1);
  t.true(existsSync(path.join(s.dir, 'a/etc/os-release')));
  t.true(existsSync(path.join(s.dir, 'b/etc/os-release')));
});

test('a different package set is a different root', async (t) => {
  const s = await setup();
  const a = await bootstrapRoot(s.opts('a'));
  const b = await bootstrapRoot(s.opts('b', { include: ['sudo', 'python3'] }));
  t.not(a.key, b.key);
  t.false(b.hit);
  t.is(s.calls.length, 2);
});

test('a failed bootstrap leaves no tarball and no temporary file', async (t) => {
  const s = await setup();
  s.setFail(true);
  await t.throwsAsync(bootstrapRoot(s.opts('r')));
  const left = await readdir(path.join(s.cacheDir, 'roots'));
  t.deepEqual(left, []);
});

test('DIB_DEBOOTSTRAP_CACHE=0 neither reads nor writes the cache', async (t) => {
  const s = await setup();
  const env = { ...s.env, DIB_DEBOOTSTRAP_CACHE: '0' };
  const r = await bootstrapRoot(s.opts('r', { env }));
  t.false(r.hit);
  t.is(r.tarball, undefined);
  t.false(existsSync(path.join(s.cacheDir, 'roots')));
  await bootstrapRoot(s.opts('r2', { env }));
  t.is(s.calls.length, 2);
});

test('an old root is made again when DIB_DEBOOTSTRAP_CACHE_MAX_AGE says so (online only)', async (t) => {
  const s = await setup();
  const r = await bootstrapRoot(s.opts('a'));
  const old = new Date(Date.now() - 10 * 86_400_000);
  await utimes(r.tarball!, old, old);
  t.true((await bootstrapRoot(s.opts('b', { env: { ...s.env, DIB_DEBOOTSTRAP_CACHE_MAX_AGE: '30' } }))).hit);
  t.true((await bootstrapRoot(s.opts('c', { env: { ...s.env, DIB_DEBOOTSTRAP_CACHE_MAX_AGE: '7' }, cache: new DirCache(s.cacheDir, true) }))).hit);
  t.false((await bootstrapRoot(s.opts('d', { env: { ...s.env, DIB_DEBOOTSTRAP_CACHE_MAX_AGE: '7' } }))).hit);
  t.is(s.calls.length, 2);
});

test('a target that is not empty is filled through a staging dir', async (t) => {
  const s = await setup();
  const target = path.join(s.dir, 'busy');
  await mkdir(path.join(target, 'etc'), { recursive: true });
  await writeFile(path.join(target, 'etc/keep'), 'k');
  const r = await bootstrapRoot(s.opts('busy'));
  t.false(r.hit);
  t.is(await readFile(path.join(target, 'etc/keep'), 'utf8'), 'k');
  t.true(existsSync(path.join(target, 'etc/os-release')));
  t.deepEqual((await readdir(s.dir)).filter((n) => n.includes('bootstrap-')), []);
});

test('a missing keyring is an error naming the variable', async (t) => {
  const s = await setup();
  const err = await t.throwsAsync(bootstrapRoot(s.opts('r', { env: { ...s.env, DIB_APT_KEYRING: path.join(s.dir, 'nope.gpg') } })));
  t.is((err as { code?: string }).code, 'E_CONFIG_VALUE');
  t.regex(err!.message, /DIB_APT_KEYRING/);
});

test("the build host's resolv.conf and hostname the tool copied never reach the root or the cache", async (t) => {
  const s = await setup();
  const r = await bootstrapRoot(s.opts('root'));
  t.false(existsSync(path.join(s.dir, 'root/etc/resolv.conf')));
  t.false(existsSync(path.join(s.dir, 'root/etc/hostname')));
  const zst = r.tarball!.endsWith('.zst') ? ['--use-compress-program=zstd -dq'] : [];
  const list = (await createHostRunner({ log: silentLogger }).run('tar', ['-tf', r.tarball!, ...zst], { quiet: true })).stdout.split('\n');
  t.true(list.includes('./etc/os-release'));
  t.false(list.includes('./etc/resolv.conf'));
  t.false(list.includes('./etc/hostname'));
  const hit = await bootstrapRoot(s.opts('again'));
  t.true(hit.hit);
  t.false(existsSync(path.join(s.dir, 'again/etc/resolv.conf')));
});

test('a truncated cached root is evicted with a warning and bootstrapped again, not extracted', async (t) => {
  const s = await setup();
  const r1 = await bootstrapRoot(s.opts('a'));
  await truncate(r1.tarball!, 100);
  const warnings: string[] = [];
  const log = { ...silentLogger, warn: (m: string) => void warnings.push(m), child: () => log };
  const r2 = await bootstrapRoot(s.opts('b', { log, cache: new DirCache(s.cacheDir, false, log) }));
  t.false(r2.hit);
  t.is(s.calls.length, 2);
  t.regex(warnings.join('\n'), /cache entry roots\/debian-bookworm-amd64-[0-9a-f]{16} is corrupt: .* has 100 bytes, the manifest says \d+ \(truncated or overwritten\); removed, it will be made again/);
  t.is(await readFile(path.join(s.dir, 'b/etc/os-release'), 'utf8'), 'VERSION_CODENAME=bookworm\n');
  // and the entry made again is whole
  t.true((await bootstrapRoot(s.opts('c'))).hit);
  t.is(s.calls.length, 2);
});
