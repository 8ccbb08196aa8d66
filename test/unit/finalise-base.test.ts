import test from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { swapInResolvConf, restoreResolvConf, finaliseBase, assertRootDeployed } from '#core/pipeline/finalise-base.js';
import { tmpDir, writeTree } from '../helpers/tmp.js';

test('resolv.conf: the image file is kept as .ORIG during the build and restored after', async (t) => {
  const root = await tmpDir();
  await writeTree(root, { 'etc/resolv.conf': 'nameserver 10.9.9.9\n' });
  await swapInResolvConf(root);
  t.is(await fs.readFile(path.join(root, 'etc/resolv.conf.ORIG'), 'utf8'), 'nameserver 10.9.9.9\n');
  t.is(await fs.readFile(path.join(root, 'etc/resolv.conf'), 'utf8'), await fs.readFile('/etc/resolv.conf', 'utf8').catch(() => 'nameserver 8.8.8.8\n'));
  await restoreResolvConf(root);
  t.is(await fs.readFile(path.join(root, 'etc/resolv.conf'), 'utf8'), 'nameserver 10.9.9.9\n');
  t.false(await fs.pathExists(path.join(root, 'etc/resolv.conf.ORIG')));
});

test('resolv.conf: a dangling symlink is kept too; an element that makes it a symlink wins', async (t) => {
  const root = await tmpDir();
  await fs.ensureDir(path.join(root, 'etc'));
  await fs.symlink('../run/systemd/resolve/stub-resolv.conf', path.join(root, 'etc/resolv.conf'));
  await swapInResolvConf(root);
  t.true((await fs.lstat(path.join(root, 'etc/resolv.conf.ORIG'))).isSymbolicLink());
  await restoreResolvConf(root);
  t.is(await fs.readlink(path.join(root, 'etc/resolv.conf')), '../run/systemd/resolve/stub-resolv.conf');

  await swapInResolvConf(root);
  await fs.remove(path.join(root, 'etc/resolv.conf'));
  await fs.symlink('/run/other', path.join(root, 'etc/resolv.conf'));
  await restoreResolvConf(root);
  t.is(await fs.readlink(path.join(root, 'etc/resolv.conf')), '/run/other');
  t.false(await fs.pathExists(path.join(root, 'etc/resolv.conf.ORIG')));
});

test('resolv.conf: none before → none after', async (t) => {
  const root = await tmpDir();
  await swapInResolvConf(root);
  await restoreResolvConf(root);
  t.false(await fs.pathExists(path.join(root, 'etc/resolv.conf')));
});

test('finalise_base empties /tmp, truncates /var/log and drops /root logs', async (t) => {
  const root = await tmpDir();
  await writeTree(root, { 'tmp/a/b': 'x', 'tmp/c': 'y', 'var/log/apt/history.log': 'lots', 'var/log/dpkg.log': 'more', 'root/x.log': 'z', 'root/keep.txt': 'k' });
  await finaliseBase(root);
  t.deepEqual(await fs.readdir(path.join(root, 'tmp')), []);
  t.is((await fs.stat(path.join(root, 'var/log/apt/history.log'))).size, 0);
  t.is((await fs.stat(path.join(root, 'var/log/dpkg.log'))).size, 0);
  t.false(await fs.pathExists(path.join(root, 'root/x.log')));
  t.true(await fs.pathExists(path.join(root, 'root/keep.txt')));
});

test('an empty tree after root is "Failed to deploy the root element"', async (t) => {
  const root = await tmpDir();
  await fs.ensureDir(path.join(root, 'tmp'));
  const e = await t.throwsAsync(assertRootDeployed(root, ['base', 'vm']));
  t.is((e as unknown as { code: string }).code, 'E_ROOT_EMPTY');
  t.regex(e!.message, /Failed to deploy the root element/);
});
