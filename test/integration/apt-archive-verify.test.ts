/**
 * The shared apt archive on a real Debian bookworm build (the cached minbase root of
 * debian-root.ts, DIB elements installing hello, sl and ed through apt): a .deb in the archive
 * overwritten with garbage of the same size — which apt hands to dpkg without checking — is
 * found against the signed index, removed with a warning and downloaded again; the build
 * succeeds and the archive holds the right file. A full cache dir turns the archive off with a
 * warning and the build goes on, leaving nothing partial in the cache. Needs root and the mirror.
 */
import test from 'ava';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { dib, FIXTURES } from '../helpers/cli.js';
import { mountsUnder } from '../helpers/mounts.js';
import { tmpDir } from '../helpers/tmp.js';
import { MINBASE_TARBALL, TEST_MIRROR, cachedMinbaseRoot } from '../helpers/debian-root.js';

async function mirrorReachable(): Promise<boolean> {
  try {
    return (await fetch(`${TEST_MIRROR}/dists/bookworm/Release`, { method: 'HEAD', signal: AbortSignal.timeout(10_000) })).ok;
  } catch {
    return false;
  }
}

const isRoot = process.getuid?.() === 0;
const canRun = isRoot && (await mirrorReachable()) && (existsSync(MINBASE_TARBALL) || existsSync('/usr/bin/mmdebstrap'));
const run = canRun ? test.serial : test.skip;
const ELEMENTS = path.join(FIXTURES, 'dib-elements');

async function build(dir: string, cache: string, name: string) {
  return dib(['build', '-n', '-o', path.join(dir, name), '-t', 'tar', '--work-dir', path.join(dir, 'work'), '--image-cache', cache, 'legacy-debian-root', 'legacy-apt'], {
    cwd: dir,
    env: { ELEMENTS_PATH: ELEMENTS, DIB_TEST_ROOT_TARBALL: await cachedMinbaseRoot(), DIB_AVOID_PACKAGES_UPDATE: '1' },
  });
}

const sha256 = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');

run('a same-size corrupt .deb in the shared archive is replaced, not handed to dpkg', async (t) => {
  t.timeout(20 * 60 * 1000);
  const dir = await tmpDir('dib-aptverify-');
  const cache = path.join(dir, 'cache'); // our own: we corrupt it
  const first = await build(dir, cache, 'one');
  t.is(first.exitCode, 0, first.all.split('\n').slice(-40).join('\n'));
  const archive = path.join(cache, 'apt', 'debian');
  const hello = (await readdir(archive)).find((n) => /^hello_.*\.deb$/.test(n));
  t.truthy(hello, `archive: ${(await readdir(archive)).join(' ')}`);
  const file = path.join(archive, hello!);
  const good = await sha256(file);
  const { size } = await stat(file);
  await writeFile(file, Buffer.alloc(size, 0x41)); // same size, garbage

  const t0 = performance.now();
  const second = await build(dir, cache, 'two');
  t.is(second.exitCode, 0, second.all.split('\n').slice(-40).join('\n'));
  t.regex(second.stderr, new RegExp(`WARNING: apt archive: ${hello!.replace(/[.+]/g, '\\$&')} does not match the signed index \\(sha256 [0-9a-f]{12}…, the index says ${good.slice(0, 12)}…\\): removed, apt downloads it again`));
  t.is(await sha256(file), good, 'the archive holds the right file again');
  const list = (await execa('tar', ['-tf', path.join(dir, 'two.tar')])).stdout.split('\n');
  t.true(list.includes('./usr/bin/hello'));
  t.deepEqual(await mountsUnder(dir), []);
  t.log(`corrupt ${hello} (${size} bytes) replaced; second build ${((performance.now() - t0) / 1000).toFixed(1)} s`);
});

run('a full cache dir: the archive is not shared, a warning, the build goes on; no partial file in the cache', async (t) => {
  t.timeout(20 * 60 * 1000);
  const dir = await tmpDir('dib-aptfull-');
  const cache = path.join(dir, 'cache');
  await mkdir(cache);
  await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'dib-test-full-cache', cache]);
  t.teardown(async () => void (await execa('umount', ['-l', cache], { reject: false })));
  const r = await build(dir, cache, 'full');
  t.is(r.exitCode, 0, r.all.split('\n').slice(-40).join('\n'));
  t.regex(r.stderr, /WARNING: the cache dir is full \(\d+ KiB free\) \(.*cache\): this build stores nothing more in the cache and goes on without it/);
  t.regex(r.stderr, /apt downloads into the image tree, not the shared archive/);
  const left = (await readdir(cache, { recursive: true })).map(String);
  t.deepEqual(left.filter((n) => n.endsWith('.deb') || n.includes('partial') || n.includes('.dib-tmp-')), []);
  t.true((await execa('tar', ['-tf', path.join(dir, 'full.tar')])).stdout.split('\n').includes('./usr/bin/hello'));
});
