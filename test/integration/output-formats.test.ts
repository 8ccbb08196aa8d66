/**
 * Real outputs from a small tree and a small raw disk, checked with the tools users have:
 * tar -tf, unsquashfs -l, qemu-img info, sha256sum -c / md5sum -c.
 */
import test from 'ava';
import { execa } from 'execa';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHostRunner, isDibError, silentLogger } from '@dib/core';
import type { DibError } from '@dib/core';
import { writeOutputs } from '#core/output/index.js';

const log = silentLogger;
const run = createHostRunner({ log });
const root = process.getuid?.() === 0;

async function fixture(t: { teardown(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'dib-out-int-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const tree = join(dir, 'tree');
  for (const d of ['etc', 'proc/1', 'sys/kernel', 'usr/bin', 'usr/lib/proc', 'home/user', 'dev']) await mkdir(join(tree, d), { recursive: true });
  await writeFile(join(tree, 'etc/hostname'), 'dib-test\n');
  await writeFile(join(tree, 'proc/1/status'), 'not for the image');
  await writeFile(join(tree, 'sys/kernel/x'), 'not for the image');
  await writeFile(join(tree, '.top-level-dotfile'), 'kept');
  await writeFile(join(tree, 'usr/lib/proc/kept'), 'a proc dir elsewhere is ordinary');
  await writeFile(join(tree, 'home/user/file'), 'owned by 1234');
  if (root) await chown(join(tree, 'home/user/file'), 1234, 1234);
  await symlink('../etc/hostname', join(tree, 'usr/bin/link'));
  const raw = join(dir, 'disk.raw');
  // 8 MiB, mostly sparse, a marker in the middle
  await execa('truncate', ['-s', '8M', raw]);
  await execa('dd', ['if=/dev/urandom', `of=${raw}`, 'bs=4096', 'count=4', 'seek=512', 'conv=notrunc'], { stderr: 'ignore' });
  const out = join(dir, 'out');
  return { dir, tree, raw, out, base: join(out, 'image') };
}

test('tar, tgz and squashfs hold the tree, keep proc/sys empty, numeric owners and dotfiles', async (t) => {
  const f = await fixture(t);
  const r = await writeOutputs({ formats: ['squashfs', 'tar', 'tgz'], outputBase: f.base, treeDir: f.tree, compress: true, checksum: false, run, log });
  t.deepEqual(r.map((o) => [o.format, o.path]), [
    ['squashfs', `${f.base}.squash`],
    ['tar', `${f.base}.tar`],
    ['tgz', `${f.base}.tgz`],
  ]);
  // both tar and tgz exist (DIB kept only the tgz)
  t.deepEqual((await readdir(f.out)).sort(), ['image.squash', 'image.tar', 'image.tgz']);

  for (const [file, flags] of [
    [`${f.base}.tar`, '-tvf'],
    [`${f.base}.tgz`, '-tzvf'],
  ] as const) {
    const listing = (await execa('tar', ['--numeric-owner', flags, file])).stdout.split('\n');
    const names = listing.map((l) => l.split(/\s+/).slice(5).join(' ').replace(/ -> .*$/, ''));
    for (const n of ['./', './etc/hostname', './.top-level-dotfile', './proc/', './sys/', './usr/bin/link', './home/user/file', './dev/', './usr/lib/proc/kept']) t.true(names.includes(n), `${file} has ${n}`);
    t.false(names.some((n) => n.startsWith('./proc/') && n !== './proc/'), 'proc content excluded');
    t.false(names.some((n) => n.startsWith('./sys/') && n !== './sys/'), 'sys content excluded');
    if (root) t.regex(listing.find((l) => l.endsWith('./home/user/file'))!, /1234\/1234/);
  }
  t.is((await execa('tar', ['-xOf', `${f.base}.tar`, './etc/hostname'])).stdout, 'dib-test');
  // gzip magic
  t.deepEqual([...(await readFile(`${f.base}.tgz`)).subarray(0, 2)], [0x1f, 0x8b]);

  const sq = (await execa('unsquashfs', ['-lls', `${f.base}.squash`])).stdout.split('\n');
  const sqNames = sq.map((l) => l.split(/\s+/).slice(5).join(' ').replace(/ -> .*$/, ''));
  for (const n of ['squashfs-root/etc/hostname', 'squashfs-root/.top-level-dotfile', 'squashfs-root/proc', 'squashfs-root/sys', 'squashfs-root/usr/bin/link', 'squashfs-root/usr/lib/proc/kept']) t.true(sqNames.includes(n), `squash has ${n}`);
  t.false(sqNames.some((n) => n.startsWith('squashfs-root/proc/')));
  t.false(sqNames.some((n) => n.startsWith('squashfs-root/sys/')));
  if (root) t.regex(sq.find((l) => l.endsWith('squashfs-root/home/user/file'))!, /1234\/1234/);
  const stats = (await execa('unsquashfs', ['-s', `${f.base}.squash`])).stdout;
  t.regex(stats, /Compression xz/);
});

test('squashfs with zstd', async (t) => {
  const f = await fixture(t);
  await writeOutputs({ formats: ['squashfs'], outputBase: f.base, treeDir: f.tree, compress: false, checksum: false, squashfsCompression: 'zstd', run, log });
  t.regex((await execa('unsquashfs', ['-s', `${f.base}.squash`])).stdout, /Compression zstd/);
});

test('qcow2 (compressed), vhd (fixed) and raw from the raw image; checksums verify', async (t) => {
  const f = await fixture(t);
  const rawSha = (await execa('sha256sum', [f.raw])).stdout.split(' ')[0];
  const r = await writeOutputs({ formats: ['raw', 'qcow2', 'vhd'], outputBase: f.base, rawImage: f.raw, compress: true, checksum: true, run, log });
  const info = async (file: string, fmt?: string) =>
    JSON.parse((await execa('qemu-img', ['info', '--output=json', ...(fmt ? ['-f', fmt] : []), file])).stdout) as { format: string; 'virtual-size': number; 'format-specific'?: unknown };
  const q = await info(`${f.base}.qcow2`);
  t.is(q.format, 'qcow2');
  t.is(q['virtual-size'], 8 * 1024 * 1024);
  // a fixed VHD has only a footer, so qemu-img probes it as raw: ask for vpc explicitly
  const v = await info(`${f.base}.vhd`, 'vpc');
  t.is(v.format, 'vpc');
  t.is(v['virtual-size'], 8 * 1024 * 1024);
  t.is((await readFile(`${f.base}.vhd`)).subarray(-512, -504).toString('latin1'), 'conectix');
  const raw = await info(`${f.base}.raw`);
  t.is(raw.format, 'raw');
  t.is(raw['virtual-size'], 8 * 1024 * 1024);
  // contents survive the conversions
  await execa('qemu-img', ['compare', '-f', 'raw', '-F', 'qcow2', `${f.base}.raw`, `${f.base}.qcow2`]);
  await execa('qemu-img', ['compare', '-f', 'raw', '-F', 'vpc', `${f.base}.raw`, `${f.base}.vhd`]);
  // raw was the last consumer: moved, not copied
  await t.throwsAsync(readFile(f.raw));
  t.is(r.find((o) => o.format === 'raw')!.sha256, rawSha);

  const files = (await readdir(f.out)).sort();
  t.deepEqual(files, ['image.qcow2', 'image.qcow2.md5', 'image.qcow2.sha256', 'image.raw', 'image.raw.md5', 'image.raw.sha256', 'image.vhd', 'image.vhd.md5', 'image.vhd.sha256']);
  const sha = await execa('sha256sum', ['-c', 'image.qcow2.sha256', 'image.vhd.sha256', 'image.raw.sha256'], { cwd: f.out });
  t.is(sha.stdout, 'image.qcow2: OK\nimage.vhd: OK\nimage.raw: OK');
  const md5 = await execa('md5sum', ['-c', 'image.qcow2.md5', 'image.vhd.md5', 'image.raw.md5'], { cwd: f.out });
  t.is(md5.stdout, 'image.qcow2: OK\nimage.vhd: OK\nimage.raw: OK');
  for (const o of r) t.is((await execa('sha256sum', [o.path])).stdout.split(' ')[0], o.sha256);
  // raw stays sparse after the move
  const du = Number((await execa('du', ['-k', `${f.base}.raw`])).stdout.split('\t')[0]);
  t.true(du < 1024, `raw uses ${du} KiB`);
});

test('uncompressed qcow2 and qemu-img options', async (t) => {
  const f = await fixture(t);
  await writeOutputs({ formats: ['qcow2'], outputBase: f.base, rawImage: f.raw, compress: false, checksum: false, qemuImgOptions: 'compat=0.10', run, log });
  const q = JSON.parse((await execa('qemu-img', ['info', '--output=json', `${f.base}.qcow2`])).stdout);
  t.is(q['format-specific'].data.compat, '0.10');
});

test('a real converter failure leaves the previous output as it was', async (t) => {
  const f = await fixture(t);
  await writeOutputs({ formats: ['qcow2'], outputBase: f.base, rawImage: f.raw, compress: false, checksum: true, run, log });
  const before = await readFile(`${f.base}.qcow2`);
  const e = await t.throwsAsync(
    writeOutputs({ formats: ['qcow2'], outputBase: f.base, rawImage: f.raw, compress: false, checksum: true, qemuImgOptions: 'no_such_option=1', run, log }),
  );
  t.true(isDibError(e));
  t.is((e as unknown as DibError).code, 'E_OUTPUT');
  t.true((e as unknown as DibError).details.some((d) => /no_such_option/.test(d)));
  t.deepEqual(await readFile(`${f.base}.qcow2`), before);
  t.deepEqual((await readdir(f.out)).sort(), ['image.qcow2', 'image.qcow2.md5', 'image.qcow2.sha256']);
  await execa('sha256sum', ['-c', 'image.qcow2.sha256'], { cwd: f.out });
});

test('contents of pseudo filesystems mounted in the tree are left out', async (t) => {
  t.true(root, 'this test mounts a tmpfs: run the integration tests as root');
  const f = await fixture(t);
  await mkdir(join(f.tree, 'run'));
  const m = await execa('mount', ['-t', 'tmpfs', 'tmpfs', join(f.tree, 'run')], { reject: false });
  t.is(m.exitCode, 0, `cannot mount a tmpfs here: ${m.stderr}`);
  try {
    await writeFile(join(f.tree, 'run', 'build-time'), 'x');
    let warned = '';
    const wlog = { ...silentLogger, warn: (s: string) => (warned += s), child: () => wlog };
    await writeOutputs({ formats: ['tar'], outputBase: f.base, treeDir: f.tree, compress: false, checksum: false, run, log: wlog });
    const names = (await execa('tar', ['-tf', `${f.base}.tar`])).stdout.split('\n');
    t.true(names.includes('./run/'));
    t.false(names.includes('./run/build-time'));
    t.regex(warned, /\/run/);
  } finally {
    await execa('umount', [join(f.tree, 'run')]);
  }
});
