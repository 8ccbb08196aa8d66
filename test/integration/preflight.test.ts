/**
 * Every pre-flight error through the CLI, the way a user meets it: its own code, exit status 2,
 * one line naming the problem and a hint, in about a second, before the root phase (no work dir
 * made, no output). busybox-root builds; the release check talks to a mirror served on
 * 127.0.0.1 by the test.
 */
import test from 'ava';
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { dib } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const isRoot = process.getuid?.() === 0;
const root = isRoot ? test.serial : test.skip;

async function setup() {
  const dir = await tmpDir('dib-preflight-');
  const work = path.join(dir, 'work');
  const cache = path.join(dir, 'cache');
  return { dir, work, cache, out: path.join(dir, 'out', 'img') };
}

/** A tmpfs of our own (read-only when asked), unmounted at the end of the test. */
async function tmpfs(t: { teardown(fn: () => Promise<void>): void }, dir: string, opts: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await execa('mount', ['-t', 'tmpfs', '-o', opts, 'dib-test-preflight', dir]);
  t.teardown(async () => void (await execa('umount', ['-l', dir], { reject: false })));
  return dir;
}

async function expectPreflight(t: any, args: string[], code: string, message: RegExp, work: string, opts: { env?: Record<string, string>; cwd?: string } = {}) {
  const t0 = performance.now();
  const r = await dib(['build', ...args], { env: opts.env ?? {}, cwd: opts.cwd });
  const s = (performance.now() - t0) / 1000;
  t.is(r.exitCode, 2, r.all.split('\n').slice(-15).join('\n'));
  const line = r.stderr.split('\n').find((l) => l.startsWith(`dib: error [${code}]`));
  t.truthy(line, r.stderr);
  t.regex(line!, message);
  t.regex(r.stderr, /\n {2}hint: \S/);
  t.notRegex(r.all, /Running phase root/, 'stopped before the root phase');
  // nothing was made in the work dir
  const left = existsSync(work) ? (await readdir(work)).filter((n) => n.startsWith('dib_')) : [];
  t.deepEqual(left, []);
  t.log(`${code}: exit ${r.exitCode} in ${s.toFixed(1)} s — ${line!.replace(/^dib: error /, '')}`);
  return r;
}

root('-o into a read-only directory: E_OUTPUT_DIR (was: E_TAP_FAILED blamed on manifests after all phases)', async (t) => {
  const s = await setup();
  const ro = await tmpfs(t, path.join(s.dir, 'ro'), 'ro,size=1m');
  await expectPreflight(t, ['-o', path.join(ro, 'img'), '-t', 'tar', '--work-dir', s.work, '--image-cache', s.cache, 'busybox-root'], 'E_OUTPUT_DIR', /the output directory .*\/ro is on a read-only filesystem/, s.work);
});

root('<name>.d is a file: E_OUTPUT_DIR', async (t) => {
  const s = await setup();
  await mkdir(path.dirname(s.out), { recursive: true });
  await writeFile(`${s.out}.d`, 'in the way');
  await expectPreflight(t, ['-o', s.out, '-t', 'tar', '--work-dir', s.work, '--image-cache', s.cache, 'busybox-root'], 'E_OUTPUT_DIR', /img\.d is a file/, s.work);
});

root('a read-only work dir, and a file as work dir: E_WORK_DIR (was: raw EROFS / EEXIST)', async (t) => {
  const s = await setup();
  const ro = await tmpfs(t, path.join(s.dir, 'ro'), 'ro,size=1m');
  await expectPreflight(t, ['-o', s.out, '-t', 'tar', '--work-dir', ro, '--image-cache', s.cache, 'busybox-root'], 'E_WORK_DIR', /the work dir .*\/ro is on a read-only filesystem/, s.work);
  const file = path.join(s.dir, 'a-file');
  await writeFile(file, '');
  await expectPreflight(t, ['-o', s.out, '-t', 'tar', '--work-dir', file, '--image-cache', s.cache, 'busybox-root'], 'E_WORK_DIR', /the work dir .*\/a-file is not a directory/, s.work);
});

root('a file as cache dir: E_CACHE_DIR; a read-only cache dir: a warning, and the build goes on uncached', async (t) => {
  const s = await setup();
  const file = path.join(s.dir, 'a-file');
  await writeFile(file, '');
  await expectPreflight(t, ['-o', s.out, '-t', 'tar', '--work-dir', s.work, '--image-cache', file, 'busybox-root'], 'E_CACHE_DIR', /the cache dir .*\/a-file is not a directory/, s.work);
  const ro = await tmpfs(t, path.join(s.dir, 'ro-cache'), 'ro,size=1m');
  const r = await dib(['build', '-o', s.out, '-t', 'tar', '--work-dir', s.work, '--image-cache', ro, 'busybox-root']);
  t.is(r.exitCode, 0, r.all);
  t.regex(r.stderr, /WARNING: the cache dir is read-only \(.*ro-cache\): this build stores nothing more in the cache and goes on without it/);
  t.true(existsSync(`${s.out}.tar`));
});

root('--image-size beyond what can be written: E_IMAGE_SIZE (was: E_INTERNAL after the whole build)', async (t) => {
  const s = await setup();
  await expectPreflight(t, ['-o', s.out, '-t', 'raw', '--image-size', '99999T', '--work-dir', s.work, '--image-cache', s.cache, 'busybox-root'], 'E_IMAGE_SIZE', /more than any disk image dib can write/, s.work);
  // a work dir whose filesystem cannot hold the file: the host's ext4 allows 16 TiB
  const fsType = (await execa('findmnt', ['-n', '-o', 'FSTYPE', '-T', s.dir])).stdout.trim();
  if (fsType === 'ext4') {
    await expectPreflight(t, ['-o', s.out, '-t', 'raw', '--image-size', '20TiB', '--work-dir', s.work, '--image-cache', s.cache, 'busybox-root'], 'E_IMAGE_SIZE', /20 TiB \(--image-size\) is more than the filesystem of .* \(the work dir\) can hold in one file/, s.work);
  }
  // a work dir that can (tmpfs files may be sparse and huge), but an ext3 root cannot be 17 TiB
  const big = await tmpfs(t, path.join(s.dir, 'big-work'), 'size=64m');
  await writeFile(path.join(s.dir, '.dibrc.json'), JSON.stringify({ elements: ['busybox-root'], fsType: 'ext3' }));
  await expectPreflight(t, ['-o', s.out, '-t', 'qcow2', '--image-size', '17TiB', '--work-dir', big, '--image-cache', s.cache], 'E_IMAGE_SIZE', /makes \/ 17 TiB, but a ext3 filesystem can be 16 TiB at most/, big, { cwd: s.dir });
});

root('partitions that do not fit the disk: E_PARTITIONS_TOO_BIG (was: found after all phases)', async (t) => {
  const s = await setup();
  const config = {
    elements: ['busybox-root'],
    name: s.out,
    types: ['raw'],
    imageSize: '1GiB',
    cacheDir: s.cache,
    workDir: s.work,
    blockDevice: [
      { local_loop: { name: 'image0' } },
      { partitioning: { base: 'image0', label: 'gpt', partitions: [{ name: 'root', size: '4GiB', mkfs: { type: 'ext4', mount: { mount_point: '/', fstab: { options: 'defaults' } } } }] } },
    ],
  };
  await writeFile(path.join(s.dir, '.dibrc.json'), JSON.stringify(config));
  await expectPreflight(t, [], 'E_PARTITIONS_TOO_BIG', /image size 1 GiB is too small for the partitions: 'root' \(4 GiB\) does not fit/, s.work, { cwd: s.dir });
});

root('-a arm64 with busybox-root (an x86-64 busybox): E_ARCH_UNSUPPORTED (was: an x86-64 image, exit 0)', async (t) => {
  const s = await setup();
  const r = await expectPreflight(t, ['-a', 'arm64', '-o', s.out, '-t', 'tar', '--work-dir', s.work, '--image-cache', s.cache, 'busybox-root'], 'E_ARCH_UNSUPPORTED', /element busybox-root cannot build for arm64: it builds for amd64 only/, s.work);
  t.false(existsSync(`${s.out}.tar`));
  t.regex(r.stderr, /hint: build with -a amd64/);
});

root('a release the mirror does not have: E_RELEASE_NOT_FOUND in a second (was: a 2 KB mmdebstrap line); offline: skipped with a note', async (t) => {
  const s = await setup();
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.statusCode = req.url === '/debian/dists/bookworm/Release' ? 200 : 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const mirror = `http://127.0.0.1:${(server.address() as AddressInfo).port}/debian`;
  const args = ['-n', '-o', s.out, '-t', 'tar', '--work-dir', s.work, '--image-cache', s.cache, 'debian-minimal'];
  await expectPreflight(t, args, 'E_RELEASE_NOT_FOUND', /release 'nosuchrelease' does not exist on http:\/\/127\.0\.0\.1:\d+\/debian/, s.work, { env: { DIB_RELEASE: 'nosuchrelease', DIB_DISTRIBUTION_MIRROR: mirror } });
  t.true(seen.some((l) => l.endsWith('/debian/dists/nosuchrelease/Release')));
  const off = await dib(['build', '--offline', ...args], { env: { DIB_RELEASE: 'nosuchrelease', DIB_DISTRIBUTION_MIRROR: mirror } });
  t.regex(off.stderr, /offline: not checking that nosuchrelease exists on http:\/\/127\.0\.0\.1/);
  t.notRegex(off.stderr, /E_RELEASE_NOT_FOUND/);
});
