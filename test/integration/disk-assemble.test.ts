/**
 * Assemble real images from small trees, without loop devices or mounts, and inspect them
 * with sfdisk --json, debugfs/dumpe2fs at the partition offset and mtools.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHostRunner, silentLogger, DibError } from '@dib/core';
import { planLayout, computeGeometry, measureTree, assembleImage, type DiskLayout, type BiosBootFiles } from '#core/disk/index.js';
import { MBR_LAYOUT } from '@dib/element-block-device-mbr';
import { tmpDir } from '../helpers/tmp.js';
import { SMALL_EFI } from '../helpers/layouts.js';

const MiB = 1024 ** 2;
const isRoot = process.getuid?.() === 0;
const have = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const ready = isRoot && ['sfdisk', 'mke2fs', 'mkfs.vfat', 'mcopy', 'mdir', 'debugfs', 'dumpe2fs', 'mkswap'].every(have);
const maybe = ready ? test.serial : test.skip;
const run = createHostRunner({ log: silentLogger });
const sh = (file: string, args: string[]) => execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MTOOLS_SKIP_CHECK: '1', LC_ALL: 'C' } });


function makeTree(root: string): void {
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'boot/efi/EFI/BOOT'), { recursive: true });
  mkdirSync(join(root, 'secret'), { mode: 0o700 });
  mkdirSync(join(root, 'empty'));
  writeFileSync(join(root, 'etc/hello'), 'hello from dib\n');
  writeFileSync(join(root, 'boot/efi/EFI/BOOT/test.txt'), 'on the ESP\n');
  writeFileSync(join(root, 'secret/owned'), 'x');
  chownSync(join(root, 'secret/owned'), 1000, 1000);
  chmodSync(join(root, 'secret'), 0o700);
  symlinkSync('../etc/hello', join(root, 'etc/link'));
  linkSync(join(root, 'etc/hello'), join(root, 'etc/hardlink'));
  writeFileSync(join(root, 'big'), Buffer.alloc(3 * MiB, 7));
}

interface SfdiskJson {
  partitiontable: { label: string; partitions: Array<{ node: string; start: number; size: number; type: string; name?: string; bootable?: boolean }> };
}

async function biosFiles(dir: string): Promise<BiosBootFiles> {
  const files = { bootImg: join(dir, 'boot.img'), coreImg: join(dir, 'core.img') };
  if (existsSync('/usr/lib/grub/i386-pc/boot.img') && have('grub-mkimage')) {
    sh('cp', ['/usr/lib/grub/i386-pc/boot.img', files.bootImg]);
    sh('grub-mkimage', ['-O', 'i386-pc', '-o', files.coreImg, '-p', '/boot/grub', 'biosdisk', 'part_gpt', 'part_msdos', 'ext2']);
  } else {
    const boot = Buffer.alloc(512, 0xcc);
    boot[510] = 0x55;
    boot[511] = 0xaa;
    const core = Buffer.alloc(64 * 512, 0x11);
    core.writeUInt16LE(0x820, 510);
    writeFileSync(files.bootImg, boot);
    writeFileSync(files.coreImg, core);
  }
  return files;
}

function checkBiosPointers(t: import('ava').ExecutionContext, img: string, coreLba: number, files: BiosBootFiles): void {
  const buf = readFileSync(img).subarray(0, (coreLba + 1) * 512);
  const boot = readFileSync(files.bootImg);
  const core = readFileSync(files.coreImg);
  t.deepEqual(buf.subarray(0, 0x5c), boot.subarray(0, 0x5c), 'boot code before the pointer');
  t.is(buf.readBigUInt64LE(0x5c), BigInt(coreLba), 'core LBA in boot.img');
  t.is(buf[0x66], 0x90);
  t.is(buf[510], 0x55);
  t.is(buf[511], 0xaa);
  const first = buf.subarray(coreLba * 512, coreLba * 512 + 512);
  t.deepEqual(first.subarray(0, 500), core.subarray(0, 500), 'core.img first sector');
  t.is(first.readBigUInt64LE(500), BigInt(coreLba + 1), 'blocklist start');
  t.is(first.readUInt16LE(508), Math.ceil(core.length / 512) - 1, 'blocklist length');
}

maybe('GPT + ESP + BIOS boot + root + swap image from a tree', async (t) => {
  const dir = await tmpDir('dib-disk-gpt-');
  const tree = join(dir, 'tree');
  makeTree(tree);
  const layout: DiskLayout = planLayout(SMALL_EFI, 'test', { fsType: 'ext4', arch: 'amd64' });
  const content = measureTree(tree, layout);
  t.true(content.get('/')! >= 3 * MiB);
  t.true(content.get('/boot/efi')! > 0 && content.get('/boot/efi')! < MiB);
  const geometry = computeGeometry(layout, content);
  const files = await biosFiles(dir);
  const out = join(dir, 'out', 'disk.raw');
  await assembleImage({ layout, geometry, treeDir: tree, workDir: join(dir, 'work'), outFile: out, run, log: silentLogger, biosBoot: files });

  // the tree is as it was; no temporary files remain
  t.true(existsSync(join(tree, 'boot/efi/EFI/BOOT/test.txt')));
  t.deepEqual(readdirSync(join(dir, 'work')), []);
  t.deepEqual(readdirSync(join(dir, 'out')), ['disk.raw']);
  t.deepEqual(readdirSync(dir).sort(), ['boot.img', 'core.img', 'out', 'tree', 'work']);

  const pt = (JSON.parse(sh('sfdisk', ['--json', out])) as SfdiskJson).partitiontable;
  t.is(pt.label, 'gpt');
  t.deepEqual(
    pt.partitions.map((p) => [p.start, p.size, p.type, p.name]),
    geometry.partitions.map((g, i) => [g.start / 512, g.size / 512, layout.partitions[i]!.type, layout.partitions[i]!.name]),
  );
  const root = geometry.partitions.find((p) => p.name === 'root')!;
  const esp = geometry.partitions.find((p) => p.name === 'ESP')!;
  const bsp = geometry.partitions.find((p) => p.name === 'BSP')!;
  const ext = `${out}?offset=${root.start}`;
  const ls = sh('debugfs', ['-R', 'ls -l /', ext]);
  for (const name of ['etc', 'boot', 'secret', 'empty', 'big']) t.regex(ls, new RegExp(` ${name}\\n`));
  t.is(sh('debugfs', ['-R', 'cat /etc/hello', ext]), 'hello from dib\n');
  const efiDir = sh('debugfs', ['-R', 'ls /boot/efi', ext]);
  t.notRegex(efiDir, /EFI/, 'the root filesystem does not hold the ESP files');
  t.regex(sh('debugfs', ['-R', 'stat /etc/link', ext]), /Fast link dest: "..\/etc\/hello"/);
  t.regex(sh('debugfs', ['-R', 'stat /secret/owned', ext]), /User:\s+1000\s+Group:\s+1000/);
  t.regex(sh('debugfs', ['-R', 'stat /secret', ext]), /Mode:\s+0700/);
  t.regex(sh('debugfs', ['-R', 'stat /etc/hello', ext]), /Links: 2/);
  const rootFs = layout.filesystems.find((f) => f.mountPoint === '/')!;
  const dump = sh('dumpe2fs', ['-h', ext]);
  t.regex(dump, new RegExp(`Filesystem volume name:\\s+${rootFs.label}`));
  t.regex(dump, new RegExp(`Filesystem UUID:\\s+${rootFs.uuid}`));
  sh('e2fsck', ['-fn', ext]);

  const espFs = layout.filesystems.find((f) => f.mountPoint === '/boot/efi')!;
  const mdir = sh('mdir', ['-i', `${out}@@${esp.start}`, '::/EFI/BOOT']);
  t.regex(mdir, /test\s+txt/);
  t.regex(mdir, new RegExp(`Volume in drive : is ${espFs.label}`));
  t.regex(mdir, new RegExp(`Serial Number is ${espFs.uuid}`));
  t.is(sh('mtype', ['-i', `${out}@@${esp.start}`, '::/EFI/BOOT/test.txt']), 'on the ESP\n');

  const swap = geometry.partitions.find((p) => p.name === 'swap')!;
  const sig = readFileSync(out).subarray(swap.start + 4096 - 10, swap.start + 4096).toString('latin1');
  t.is(sig, 'SWAPSPACE2');

  checkBiosPointers(t, out, bsp.start / 512, files);
});

maybe('MBR image with BIOS boot code in the gap after the MBR', async (t) => {
  const dir = await tmpDir('dib-disk-mbr-');
  const tree = join(dir, 'tree');
  makeTree(tree);
  const layout = planLayout(MBR_LAYOUT, 'test', { fsType: 'ext4', arch: 'amd64', rootLabel: 'mbr-root' });
  const geometry = computeGeometry(layout, measureTree(tree, layout), 256 * MiB);
  t.is(geometry.imageSize, 256 * MiB);
  const files = await biosFiles(dir);
  const out = join(dir, 'disk.raw');
  await assembleImage({ layout, geometry, treeDir: tree, workDir: join(dir, 'work'), outFile: out, run, log: silentLogger, biosBoot: files });
  const pt = (JSON.parse(sh('sfdisk', ['--json', out])) as SfdiskJson).partitiontable;
  t.is(pt.label, 'dos');
  t.is(pt.partitions.length, 1);
  t.like(pt.partitions[0], { start: 2048, size: (256 - 1) * 2048, type: '83', bootable: true });
  const ext = `${out}?offset=${MiB}`;
  t.regex(sh('dumpe2fs', ['-h', ext]), /Filesystem volume name:\s+mbr-root/);
  // the root fs of an MBR layout keeps /boot/efi files (not a mount point here)
  t.regex(sh('debugfs', ['-R', 'ls /boot/efi/EFI/BOOT', ext]), /test.txt/);
  checkBiosPointers(t, out, 1, files);
});

maybe('unpartitioned fallback: the image is the filesystem', async (t) => {
  const dir = await tmpDir('dib-disk-plain-');
  const tree = join(dir, 'tree');
  makeTree(tree);
  const layout = planLayout(undefined, 'default layout', { fsType: 'ext4', arch: 'amd64', mkfsOptions: '-m 0' });
  const geometry = computeGeometry(layout, measureTree(tree, layout));
  const out = join(dir, 'root.raw');
  await assembleImage({ layout, geometry, treeDir: tree, workDir: join(dir, 'work'), outFile: out, run, log: silentLogger });
  const dump = sh('dumpe2fs', ['-h', out]);
  t.regex(dump, /Filesystem volume name:\s+cloudimg-rootfs/);
  t.regex(dump, /Reserved block count:\s+0\n/);
  t.regex(sh('debugfs', ['-R', 'ls /boot/efi/EFI/BOOT', out]), /test.txt/);
});

maybe('failure: no image, no temporary files, the tree restored', async (t) => {
  const dir = await tmpDir('dib-disk-fail-');
  const tree = join(dir, 'tree');
  makeTree(tree);
  writeFileSync(join(tree, 'huge'), Buffer.alloc(40 * MiB, 1));
  const layout = planLayout(SMALL_EFI, 'test', { fsType: 'ext4', arch: 'amd64' });
  const geometry = computeGeometry(layout, measureTree(tree, layout));
  // sabotage: shrink the root filesystem below its content
  const rootG = geometry.filesystems.find((f) => f.mountPoint === '/')!;
  rootG.size = 150 * MiB;
  writeFileSync(join(tree, 'huger'), Buffer.alloc(100 * MiB, 1));
  const out = join(dir, 'out', 'disk.raw');
  const e = await t.throwsAsync(assembleImage({ layout, geometry, treeDir: tree, workDir: join(dir, 'work'), outFile: out, run, log: silentLogger }));
  t.true(e instanceof DibError);
  t.is((e as DibError).code, 'E_DISK');
  t.regex(e!.message, /making the ext4 filesystem 'cloudimg-rootfs' for \//);
  t.false(existsSync(out));
  t.deepEqual(readdirSync(join(dir, 'out')), []);
  t.deepEqual(readdirSync(join(dir, 'work')), []);
  t.true(existsSync(join(tree, 'boot/efi/EFI/BOOT/test.txt')), 'nested mount point content moved back');
  t.deepEqual(readdirSync(dir).sort(), ['out', 'tree', 'work']);
});
