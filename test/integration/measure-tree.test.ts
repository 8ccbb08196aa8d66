/**
 * The tree is measured by what is in it, whatever it is made of: an overlayfs whose lower layer
 * (the cached checkpoint) is on disk and whose upper layer (the work dir) is on a tmpfs gives
 * each file its layer's device number, and every file must still count. What is mounted below
 * the tree (/proc, a bind) does not count.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { measureTree, planLayout } from '#core/disk/index.js';
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
