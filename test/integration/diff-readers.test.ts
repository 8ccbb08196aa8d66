/**
 * dib diff's readers agree with the tree they were made from: one tree with every kind of
 * entry (hard links, fast and slow symlinks, a fifo, a device, a setuid file, owners, xattrs,
 * a sparse fragmented file, a directory big enough to be hashed, long FAT names) is written as
 * dib writes it — tar, tgz, squashfs, and a GPT disk (ESP vfat, BIOS boot, ext4 root, swap) as raw, qcow2
 * and vhd — and each is read back without mounting anything and compared with the directory.
 */
import test from 'ava';
import { execa } from 'execa';
import { chmod, chown, link, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createHostRunner, silentLogger } from '@dib/core';
import { assembleImage, computeGeometry, measureTree, planLayout } from '#core/disk/index.js';
import { diffInputs, snapshot } from '#core/diff/index.js';
import { compareTrees } from '#core/diff/compare.js';
import type { Tree } from '#core/diff/types.js';
import { writeOutputs } from '#core/output/index.js';
import { findTool } from '#core/output/tools.js';
import { tarArchive } from '../helpers/tar-writer.js';
import { tmpDir } from '../helpers/tmp.js';
import { SMALL_EFI } from '../helpers/layouts.js';

const ready = process.getuid?.() === 0 && ['sfdisk', 'mke2fs', 'dumpe2fs', 'mkfs.vfat', 'mcopy', 'minfo', 'mksquashfs', 'unsquashfs', 'qemu-img', 'mkswap'].every((c) => findTool(c));
const maybe = ready ? test.serial : test.skip;
const run = createHostRunner({ log: silentLogger, env: { PATH: `${process.env.PATH}:/usr/sbin:/sbin`, LC_ALL: 'C' } });


const T0 = 1700000000;

async function makeTree(tree: string): Promise<void> {
  const w = async (p: string, content: string | Buffer) => {
    await mkdir(path.dirname(path.join(tree, p)), { recursive: true });
    await writeFile(path.join(tree, p), content);
  };
  await w('etc/hello', 'hello from dib\n');
  await link(path.join(tree, 'etc/hello'), path.join(tree, 'etc/hardlink'));
  await symlink('hello', path.join(tree, 'etc/fast-link'));
  await symlink(`../${'long/'.repeat(20)}target`, path.join(tree, 'etc/slow-link'));
  await w('usr/bin/suid', '#!/bin/sh\n');
  await chmod(path.join(tree, 'usr/bin/suid'), 0o4755);
  await w('home/user/owned', 'mine\n');
  await chown(path.join(tree, 'home/user/owned'), 1234, 5678);
  await chown(path.join(tree, 'home/user'), 1234, 5678);
  await execa('mkfifo', [path.join(tree, 'run-fifo')]);
  await mkdir(path.join(tree, 'dev'));
  await execa('mknod', [path.join(tree, 'dev/null'), 'c', '1', '3']);
  for (let i = 0; i < 300; i++) await w(`many/file-with-a-longish-name-${String(i).padStart(3, '0')}`, `${i}\n`);
  // 30 data islands with holes between: more extents than fit in the inode (an extent tree)
  const frag = path.join(tree, 'var/fragmented');
  await mkdir(path.dirname(frag), { recursive: true });
  await execa('truncate', ['-s', '8M', frag]);
  for (let i = 0; i < 30; i++) await execa('dd', ['if=/dev/urandom', `of=${frag}`, 'bs=4096', 'count=1', `seek=${i * 64 + 3}`, 'conv=notrunc'], { stderr: 'ignore' });
  await w('var/big', Buffer.alloc(5 * 1024 * 1024, 0x5a));
  await w('boot/efi/EFI/BOOT/BOOTX64.EFI', Buffer.alloc(70000, 0x42));
  await w('boot/efi/EFI/debian/A Long File Name.cfg', 'set timeout=0\n');
  await w('boot/efi/EFI/debian/grub.cfg', 'configfile\n');
  // xattrs (a file capability and a user attribute), set by GNU tar from a pax header
  const withXattrs = path.join(path.dirname(tree), 'xattrs.tar');
  await writeFile(withXattrs, tarArchive([{ name: './usr/bin/ping', mode: 0o755, content: 'ping', pax: { 'SCHILY.xattr.security.capability': Buffer.from('0100000200200000000000000000000000000000', 'hex'), 'SCHILY.xattr.user.dib': 'hello' } }]));
  await execa('tar', ['--xattrs', '--xattrs-include=*', '-xf', withXattrs, '-C', tree]);
  // whole, even seconds everywhere (FAT keeps two-second times; mke2fs -d keeps whole seconds)
  const { stdout } = await execa('find', [tree, '-depth', '-print0']);
  for (const [i, p] of stdout.split('\0').filter(Boolean).entries()) await execa('touch', ['-h', '-d', `@${T0 + 2 * (i % 50)}`, p]);
}

/** The tree below `prefix` (re-rooted), or all but it. */
function subtree(t: Tree, prefix: string, keep: boolean): Tree {
  const entries = new Map<string, (typeof t.entries extends Map<string, infer E> ? E : never)>();
  for (const [p, e] of t.entries) {
    const inside = p.startsWith(`${prefix}/`);
    if (keep && (inside || p === prefix)) entries.set(p === prefix ? '/' : p.slice(prefix.length), e);
    if (!keep && !inside) entries.set(p, e);
  }
  return { entries, can: t.can };
}

maybe('every reader gives back the tree: tar, tgz, squashfs, and each filesystem of a raw, qcow2 and vhd disk', async (t) => {
  t.timeout(5 * 60 * 1000);
  const dir = await tmpDir('dib-diff-readers-');
  const tree = path.join(dir, 'tree');
  await mkdir(tree);
  await makeTree(tree);
  const work = path.join(dir, 'diff-work');
  await mkdir(work);
  const fromDir = (await snapshot(tree, 'directory', 'A', work, run)).sections[0]!.tree!;
  const base = path.join(dir, 'out', 'img');
  await mkdir(path.dirname(base));
  const layout = planLayout(SMALL_EFI, 'test', { fsType: 'ext4', arch: 'amd64' });
  const geometry = computeGeometry(layout, measureTree(tree, layout));
  const raw = `${base}.raw`;
  await assembleImage({ layout, geometry, treeDir: tree, workDir: path.join(dir, 'work'), outFile: raw, run, log: silentLogger });
  await writeOutputs({ formats: ['tar', 'tgz', 'squashfs', 'qcow2', 'vhd'], outputBase: base, treeDir: tree, rawImage: raw, compress: true, checksum: false, run, log: silentLogger });

  // the archives hold the whole tree: the format is the only difference
  for (const ext of ['tar', 'tgz', 'squash']) {
    const r = await diffInputs(tree, `${base}.${ext}`, { run });
    t.deepEqual(r.differences.map((d) => d.field), ['format'], `${ext}: ${JSON.stringify(r.differences.slice(0, 5))}`);
  }

  // the disk: the directory against each filesystem, read at its partition's offset
  for (const [file, format] of [
    [raw, 'raw-disk'],
    [`${base}.qcow2`, 'qcow2'],
    [`${base}.vhd`, 'vhd'],
  ] as const) {
    const disk = await snapshot(file, format, 'B', work, run);
    t.deepEqual(disk.sections.map((s) => s.title), [...(format === 'raw-disk' ? [] : [`${format} container`]), 'partition table', 'partition 1 (ESP)', 'partition 1 (ESP) vfat', 'partition 2 (BSP)', 'partition 2 (BSP)', 'partition 3 (root)', 'partition 3 (root) ext4', 'partition 4 (swap)', 'partition 4 (swap) swap']);
    const root = disk.sections.find((s) => s.fs === 'ext4')!.tree!;
    const esp = disk.sections.find((s) => s.fs === 'vfat')!.tree!;
    // ext4: every field of every entry, xattrs and hard links included; mke2fs adds lost+found.
    // Today's writers leave build times on three directories (mke2fs -d gives the root its own
    // time; /boot and /boot/efi change while the ESP's files are moved aside) — noise for the
    // reproducible-output work to clamp, named here so that nothing else can hide among them
    const noise = ['/ mtime', '/boot mtime', '/boot/efi mtime'];
    const rootDiffs = compareTrees('root', subtree(fromDir, '/boot/efi', false), root).map((d) => `${d.path} ${d.field}`);
    t.deepEqual(rootDiffs.filter((d) => !noise.includes(d)), ['/lost+found presence'], format);
    t.like(root.entries.get('/usr/bin/ping'), { xattrs: { 'security.capability': '0100000200200000000000000000000000000000', 'user.dib': Buffer.from('hello').toString('hex') } });
    t.is(root.entries.get('/etc/hello')!.hardlink, '/etc/hardlink');
    t.like(root.entries.get('/dev/null'), { type: 'char', rdev: '1,3' });
    t.like(root.entries.get('/home/user/owned'), { uid: 1234, gid: 5678 });
    // FAT: names (long ones too), sizes, contents and two-second mtimes of the ESP files
    t.deepEqual(compareTrees('esp', subtree(fromDir, '/boot/efi', true), esp).filter((d) => d.path !== '/'), [], format);
    t.true(esp.entries.has('/EFI/debian/A Long File Name.cfg'));
    const swap = disk.sections.find((s) => s.fs === 'swap')!;
    t.regex(swap.fields.find(([k]) => k === 'UUID')![1], /^[0-9a-f]{8}-[0-9a-f]{4}-/);
  }
  // a qcow2 and the raw disk it was converted from: the same disk, in another container
  const q = await diffInputs(raw, `${base}.qcow2`, { run });
  t.deepEqual(q.differences.map((d) => d.field), ['format']);
  t.is((await diffInputs(raw, raw, { run })).identical, true);
});
