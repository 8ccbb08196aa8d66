/**
 * Real bootstrap of Debian bookworm (minbase) from deb.debian.org through the debootstrap
 * element's bootstrapRoot, with a real host runner and dib's cache: cold, then warm from the
 * cached root, then offline with an empty cache. Needs root and the Debian mirror.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, truncate } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createHostRunner, isDibError, type Logger } from '@dib/core';
import { DirCache } from '#core/cache/cache.js';
import { bootstrapRoot } from '@dib/element-debootstrap';

const isRoot = process.getuid?.() === 0;
const root = isRoot ? test.serial : test.skip;

const lines: string[] = [];
const log: Logger = {
  debug() {},
  info(m) {
    lines.push(m);
  },
  warn(m) {
    lines.push(`W: ${m}`);
  },
  error(m) {
    lines.push(`E: ${m}`);
  },
  child() {
    return log;
  },
};

const env = {
  DISTRO_NAME: 'debian',
  DIB_RELEASE: 'bookworm',
  DIB_DISTRIBUTION_MIRROR: process.env.DIB_TEST_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian',
  ARCH: 'amd64',
};

let work = '';
test.before(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'dib-debootstrap-it-'));
});
test.after.always(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

root('bookworm minbase: cold bootstrap, warm from the cached root, offline miss', async (t) => {
  t.timeout(20 * 60 * 1000);
  const host = createHostRunner({ log });
  const cacheDir = path.join(work, 'cache');
  const cache = new DirCache(cacheDir, false);

  const t0 = performance.now();
  const cold = await bootstrapRoot({ targetRoot: path.join(work, 'cold'), env, host, cache, log });
  const coldS = (performance.now() - t0) / 1000;
  t.false(cold.hit);
  t.truthy(cold.tarball);
  t.true(existsSync(cold.tarball!));
  const osRelease = await readFile(path.join(work, 'cold/etc/os-release'), 'utf8');
  t.regex(osRelease, /^VERSION_CODENAME=bookworm$/m);
  const dpkg = await host.run('chroot', [path.join(work, 'cold'), 'dpkg-query', '-W', '-f=${Status}', 'dpkg'], { quiet: true });
  t.is(dpkg.stdout.trim(), 'install ok installed');
  t.false(existsSync(path.join(work, 'cold/etc/apt/sources.list')));
  // mmdebstrap copied the build host's resolv.conf and hostname: neither is the root's
  t.false(existsSync(path.join(work, 'cold/etc/resolv.conf')));
  t.false(existsSync(path.join(work, 'cold/etc/hostname')));
  const members = (await host.run('tar', ['-tf', cold.tarball!, '--use-compress-program=zstd -dq'], { quiet: true })).stdout.split('\n');
  t.true(members.includes('./etc/os-release'));
  t.false(members.includes('./etc/resolv.conf'), 'the cached root holds no resolv.conf of the build host');
  t.false(members.includes('./etc/hostname'));
  const tarStat = await stat(cold.tarball!);

  const t1 = performance.now();
  const warm = await bootstrapRoot({ targetRoot: path.join(work, 'warm'), env, host, cache, log });
  const warmS = (performance.now() - t1) / 1000;
  t.true(warm.hit);
  t.is(warm.key, cold.key);
  t.is(warm.tarball, cold.tarball);
  const again = await stat(warm.tarball!);
  t.is(again.mtimeMs, tarStat.mtimeMs, 'the tarball was reused, not rewritten');
  t.is(again.ino, tarStat.ino);
  t.regex(await readFile(path.join(work, 'warm/etc/os-release'), 'utf8'), /^VERSION_CODENAME=bookworm$/m);
  const dpkg2 = await host.run('chroot', [path.join(work, 'warm'), 'dpkg', '--audit'], { quiet: true, reject: false });
  t.is(dpkg2.exitCode, 0, dpkg2.stdout + dpkg2.stderr);
  t.true(warmS * 3 < coldS, `warm ${warmS.toFixed(1)}s should be much faster than cold ${coldS.toFixed(1)}s`);

  const offline = new DirCache(path.join(work, 'empty-cache'), true);
  const err = await t.throwsAsync(bootstrapRoot({ targetRoot: path.join(work, 'offline'), env, host, cache: offline, log }));
  t.true(isDibError(err));
  t.is((err as { code?: string }).code, 'E_OFFLINE_CACHE_MISS');
  t.true(err!.message.includes(cold.key));

  // a truncated cached root is never unpacked: evicted with a warning, then (offline) a miss
  await truncate(cold.tarball!, 4096);
  lines.length = 0;
  const err2 = await t.throwsAsync(bootstrapRoot({ targetRoot: path.join(work, 'truncated'), env, host, cache: new DirCache(cacheDir, true, log), log }));
  t.is((err2 as { code?: string }).code, 'E_OFFLINE_CACHE_MISS');
  t.truthy(lines.find((l) => /^W: cache entry roots\/debian-bookworm-amd64-[0-9a-f]{16} is corrupt: .* has 4096 bytes, the manifest says \d+ \(truncated or overwritten\); removed, it will be made again$/.test(l)), lines.join('\n'));
  t.false(existsSync(cold.tarball!));

  t.log(`cold bootstrap ${coldS.toFixed(1)}s (tool ${cold.timings.bootstrap}s, pack ${cold.timings.pack}s); warm ${warmS.toFixed(1)}s (extract ${warm.timings.extract}s); tarball ${(tarStat.size / 1048576).toFixed(1)} MiB`);
});
