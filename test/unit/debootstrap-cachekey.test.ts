import test from 'ava';
import { tmpDir } from '../helpers/tmp.js';
import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { digestKeyring, resolveBootstrapSettings, rootCacheInputs, rootCacheKey, ROOT_CACHE_FORMAT } from '@dib/element-debootstrap';

const both = { mmdebstrap: true, debootstrap: true };
const debEnv = { DISTRO_NAME: 'debian', DIB_RELEASE: 'bookworm', DIB_DISTRIBUTION_MIRROR: 'http://deb.debian.org/debian', ARCH: 'amd64' };
const keyOf = (env: Record<string, string>, include: string[] = ['sudo'], keyring = 'k1', sources?: string[]) =>
  rootCacheKey(rootCacheInputs(resolveBootstrapSettings({ env, include, sources, available: both }), keyring));

test('the key is readable and stable', (t) => {
  const k = keyOf(debEnv);
  t.regex(k, /^debian-bookworm-amd64-[0-9a-f]{16}$/);
  t.is(keyOf({ ...debEnv }), k);
  // package order does not matter
  t.is(keyOf(debEnv, ['a', 'b']), keyOf(debEnv, ['b', 'a', 'a']));
  t.is(rootCacheInputs(resolveBootstrapSettings({ env: debEnv, available: both }), 'x').format, ROOT_CACHE_FORMAT);
});

test('everything that shapes the root changes the key', (t) => {
  const k = keyOf(debEnv);
  const variants = [
    keyOf({ ...debEnv, DIB_RELEASE: 'trixie' }),
    keyOf({ ...debEnv, ARCH: 'arm64' }),
    keyOf({ ...debEnv, DISTRO_NAME: 'ubuntu' }),
    keyOf({ ...debEnv, DIB_DISTRIBUTION_MIRROR: 'http://mirror.example/debian' }),
    keyOf({ ...debEnv, DIB_DEBIAN_COMPONENTS: 'main,contrib' }),
    keyOf(debEnv, ['sudo', 'python3']),
    keyOf(debEnv, ['sudo'], 'k2'),
    keyOf({ ...debEnv, DIB_DEBOOTSTRAP_TOOL: 'debootstrap' }),
    keyOf({ ...debEnv, DIB_DEBOOTSTRAP_EXTRA_ARGS: '--no-merged-usr' }),
    keyOf({ ...debEnv, DIB_MMDEBSTRAP_EXTRA_ARGS: '--dpkgopt=path-exclude=/usr/share/doc/*' }),
    keyOf({ ...debEnv, DIB_DEBIAN_DEBOOTSTRAP_SCRIPT: '/s/sid' }),
    keyOf(debEnv, ['sudo'], 'k1', ['deb http://deb.debian.org/debian bookworm main', 'deb http://deb.debian.org/debian bookworm-updates main']),
  ];
  t.is(new Set([k, ...variants]).size, variants.length + 1);
});

test('things that do not shape the root leave the key alone', (t) => {
  const k = keyOf(debEnv);
  t.is(keyOf({ ...debEnv, http_proxy: 'http://proxy:3128', DIB_DEBOOTSTRAP_CACHE_MAX_AGE: '3', DIB_OFFLINE: '1' }), k);
  // the keyring counts by content, not by path
  t.is(keyOf({ ...debEnv, DIB_APT_KEYRING: '/a/one.gpg' }), keyOf({ ...debEnv, DIB_APT_KEYRING: '/b/two.gpg' }));
});

test('digestKeyring hashes content (file) or names and contents (directory)', async (t) => {
  const dir = await tmpDir('dib-keyring-');
  await writeFile(path.join(dir, 'a.gpg'), 'AAA');
  await writeFile(path.join(dir, 'b.gpg'), 'AAA');
  t.is(await digestKeyring(path.join(dir, 'a.gpg')), await digestKeyring(path.join(dir, 'b.gpg')));
  await writeFile(path.join(dir, 'c.gpg'), 'CCC');
  t.not(await digestKeyring(path.join(dir, 'a.gpg')), await digestKeyring(path.join(dir, 'c.gpg')));
  await mkdir(path.join(dir, 'd'));
  await writeFile(path.join(dir, 'd', 'x.gpg'), 'X');
  const d1 = await digestKeyring(path.join(dir, 'd'));
  await writeFile(path.join(dir, 'd', 'y.gpg'), 'Y');
  t.not(await digestKeyring(path.join(dir, 'd')), d1);
});
