/**
 * The tree is measured by what is in it, whatever it is made of: an overlayfs whose lower layer
 * (the cached checkpoint) is on disk and whose upper layer (the work dir) is on a tmpfs gives
 * each file its layer's device number, and every file must still count. What is mounted below
 * the tree (/proc, a bind) does not count. And the vfat ESP is the same made from either.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { createHostRunner, silentLogger } from '@dib/core';
import { measureTree, planLayout } from '#core/disk/index.js';
import { makeFilesystem } from '#core/disk/mkfs.js';
import { SMALL_EFI } from '../helpers/layouts.js';
import { tmpDir } from '../helpers/tmp.js';

const MiB = 1024 * 1024;
const root = process.getuid?.() === 0 ? test.serial : test.skip;

root('an overlay over layers on two filesystems counts every file; mounts below the tree do not count', async (t) => {
  // the lower layer on the disk /var/tmp is on, the upper one on a tmpfs of its own
  const dir = await fs.mkdtemp('/var/tmp/dib-measure-');
  const lower = path.join(dir, 'lower');
  const scratch = path.join(dir, 'scratch');
  const tree = path.join(dir, 'tree');
  const elsewhere = await tmpDir('dib-measure-bind-');
  await fs.ensureDir(path.join(lower, 'usr/lib'));
  await fs.writeFile(path.join(lower, 'usr/lib/big'), Buffer.alloc(3 * MiB, 1));
  await fs.ensureDir(path.join(lower, 'proc'));
  await fs.ensureDir(path.join(lower, 'mnt/bound'));
  await fs.writeFile(path.join(elsewhere, 'not-in-the-image'), Buffer.alloc(5 * MiB, 2));
  await fs.ensureDir(scratch);
  await fs.ensureDir(tree);
  const mounted: string[] = [];
  try {
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'dib-measure', scratch]);
    mounted.unshift(scratch);
    await fs.ensureDir(path.join(scratch, 'upper'));
    await fs.ensureDir(path.join(scratch, 'work'));
    await execa('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${scratch}/upper,workdir=${scratch}/work`, tree]);
    mounted.unshift(tree);
    await fs.writeFile(path.join(tree, 'usr/lib/new'), Buffer.alloc(2 * MiB, 3));
    const [treeDev, fileDev] = [(await fs.lstat(tree)).dev, (await fs.lstat(path.join(tree, 'usr/lib/big'))).dev];
    t.log(`overlay root st_dev ${treeDev}, a lower file's st_dev ${fileDev}`);
    await execa('mount', ['-t', 'proc', 'proc', path.join(tree, 'proc')]);
    mounted.unshift(path.join(tree, 'proc'));
    await execa('mount', ['--bind', elsewhere, path.join(tree, 'mnt/bound')]);
    mounted.unshift(path.join(tree, 'mnt/bound'));

    const content = measureTree(tree, planLayout(SMALL_EFI, 'test', { fsType: 'ext4', arch: 'amd64' }));
    const slash = content.get('/')!;
    t.true(slash >= 5 * MiB, `both layers' files count: ${slash} bytes`);
    t.true(slash < 6 * MiB, `neither /proc nor the bind counts: ${slash} bytes`);
  } finally {
    for (const m of mounted) await execa('umount', [m], { reject: false });
    await fs.remove(dir);
  }
});

root('an ESP made from a layered tree is the ESP made from a plain one, byte for byte (SOURCE_DATE_EPOCH)', async (t) => {
  // a FAT directory keeps entries in the order they are made, and an overlay lists the upper
  // layer's names before the lower one's: vfat is filled in sorted order, whatever the listing
  const dir = await fs.mkdtemp('/var/tmp/dib-esp-order-');
  const run = createHostRunner({ log: silentLogger });
  const fsSpec = { name: 'mkfs_efi', type: 'vfat' as const, label: 'MKFS_ESP', uuid: '1234-ABCD', opts: [], path: '/boot/efi' };
  const inLower = (rel: string) => ['EFI/debian/grub.cfg', 'EFI/BOOT/BOOTX64.EFI'].includes(rel);
  const files: Record<string, string> = { 'EFI/BOOT/BOOTX64.EFI': 'boot', 'EFI/BOOT/grubx64.efi': 'grub', 'EFI/debian/grub.cfg': 'cfg', 'EFI/debian/zz': 'z', 'a-top': 'top' };
  const plain = path.join(dir, 'plain');
  const lower = path.join(dir, 'lower');
  const scratch = path.join(dir, 'scratch');
  const tree = path.join(dir, 'tree');
  let mounted = false;
  try {
    for (const [rel, text] of Object.entries(files)) {
      await fs.outputFile(path.join(plain, rel), text);
      // the lower layer holds some names of a directory, the upper one (written through the mount) the others
      if (inLower(rel)) await fs.outputFile(path.join(lower, rel), text);
    }
    await fs.ensureDir(lower);
    await fs.ensureDir(path.join(scratch, 'upper'));
    await fs.ensureDir(path.join(scratch, 'work'));
    await fs.ensureDir(tree);
    await execa('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${scratch}/upper,workdir=${scratch}/work`, tree]);
    mounted = true;
    for (const [rel, text] of Object.entries(files)) if (!inLower(rel)) await fs.outputFile(path.join(tree, rel), text);
    const epoch = 1_700_000_000;
    // every file and directory at the epoch, as the tree's normalisation leaves them (FAT keeps
    // times to 2 s: directories made a moment apart would otherwise differ under load)
    const stamp = async (root: string) => {
      for (const rel of Object.keys(files)) {
        for (let p = rel; p !== '.'; p = path.dirname(p)) await fs.utimes(path.join(root, p), epoch, epoch);
      }
    };
    await stamp(plain);
    await stamp(tree);
    t.log(`listing of EFI/debian: plain ${(await fs.readdir(path.join(plain, 'EFI/debian'))).join(',')}, layered ${(await fs.readdir(path.join(tree, 'EFI/debian'))).join(',')}`);
    const made = async (src: string, out: string) => {
      await makeFilesystem({ fs: fsSpec, size: 34 * MiB, sourceDir: src, file: out, sourceDateEpoch: epoch, run });
      return createHash('sha256').update(await fs.readFile(out)).digest('hex');
    };
    const a = await made(plain, path.join(dir, 'plain.vfat'));
    const b = await made(tree, path.join(dir, 'layered.vfat'));
    t.is(b, a);
    t.is((await execa('mtype', ['-i', path.join(dir, 'layered.vfat'), '::/EFI/debian/grub.cfg'], { env: { MTOOLS_SKIP_CHECK: '1' } })).stdout, 'cfg');
  } finally {
    if (mounted) await execa('umount', [tree], { reject: false });
    if (!(await fs.readFile('/proc/self/mountinfo', 'utf8')).includes(dir)) await fs.remove(dir);
  }
});

root("the same tree measures the same, whatever its directories' history or layers", async (t) => {
  // an ext4 directory never shrinks, and an overlay directory reports its top layer's size:
  // st_size of a directory says how it came to be, not what it holds
  const dir = await fs.mkdtemp('/var/tmp/dib-measure-dirs-');
  const plain = path.join(dir, 'plain');
  const lower = path.join(dir, 'lower');
  const scratch = path.join(dir, 'scratch');
  const tree = path.join(dir, 'tree');
  const layout = planLayout(SMALL_EFI, 'test', { fsType: 'ext4', arch: 'amd64' });
  const kept = Array.from({ length: 50 }, (_, i) => `kept-file-with-a-long-name-${i}`);
  let mounted = false;
  try {
    for (let i = 0; i < 600; i++) await fs.outputFile(path.join(plain, 'usr/bin', `gone-file-with-a-long-name-${i}`), '');
    for (let i = 0; i < 600; i++) await fs.remove(path.join(plain, 'usr/bin', `gone-file-with-a-long-name-${i}`));
    for (const n of kept) await fs.outputFile(path.join(plain, 'usr/bin', n), n);
    for (const n of kept.slice(0, 25)) await fs.outputFile(path.join(lower, 'usr/bin', n), n);
    for (const d of [`${scratch}/upper`, `${scratch}/work`, tree]) await fs.ensureDir(d);
    await execa('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${scratch}/upper,workdir=${scratch}/work`, tree]);
    mounted = true;
    for (const n of kept.slice(25)) await fs.outputFile(path.join(tree, 'usr/bin', n), n);
    t.log(`usr/bin st_size: plain ${(await fs.stat(path.join(plain, 'usr/bin'))).size}, layered ${(await fs.stat(path.join(tree, 'usr/bin'))).size}`);
    t.deepEqual([...measureTree(tree, layout)], [...measureTree(plain, layout)]);
  } finally {
    if (mounted) await execa('umount', [tree], { reject: false });
    if (!(await fs.readFile('/proc/self/mountinfo', 'utf8')).includes(dir)) await fs.remove(dir);
  }
});

root('with SOURCE_DATE_EPOCH an ext4 filesystem records no I/O count (lifetime writes) in any superblock, and checks clean', async (t) => {
  // mke2fs counts the KiB it wrote, which depends on how the tree was read, not on what it holds
  const dir = await tmpDir('dib-ext-kbytes-');
  const src = path.join(dir, 'src');
  await fs.outputFile(path.join(src, 'etc/hostname'), 'debian\n');
  const out = path.join(dir, 'root.ext4');
  const fsSpec = { name: 'mkfs_root', type: 'ext4' as const, label: 'r', uuid: '6d9f0b0e-6a8e-4c55-9b0e-1f2a3b4c5d6e', opts: ['-b', '4096'], path: '/' };
  await makeFilesystem({ fs: fsSpec, size: 256 * MiB, sourceDir: src, file: out, sourceDateEpoch: 1_700_000_000, run: createHostRunner({ log: silentLogger }) });
  const fh = await fs.open(out, 'r');
  try {
    for (const at of [1024, 32768 * 4096]) {
      const sb = Buffer.alloc(1024);
      await fs.read(fh, sb, 0, 1024, at);
      t.is(sb.readUInt16LE(0x38), 0xef53, `a superblock at ${at}`);
      t.is(sb.readBigUInt64LE(0x178), 0n, `s_kbytes_written at ${at}`);
    }
  } finally {
    await fs.close(fh);
  }
  const fsck = await execa('e2fsck', ['-fn', out], { reject: false, all: true });
  t.is(fsck.exitCode, 0, fsck.all);
});
