/** The xfs prototype file dib writes from a tree, and when this host cannot make xfs. */
import test from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { execa } from 'execa';
import { xfsProblem, xfsProtofile, mkfsXfsArgs } from '#core/disk/xfs.js';
import { tmpDir } from '../helpers/tmp.js';

test('protofile: directories, files (setuid kept), links, devices, fifos; sticky bits for xfs_db; hard links counted', async (t) => {
  const root = await tmpDir();
  await fs.chmod(root, 0o755);
  await fs.outputFile(path.join(root, 'etc/hostname'), 'x\n');
  await fs.outputFile(path.join(root, 'usr/bin/su'), '');
  await fs.chmod(path.join(root, 'usr/bin/su'), 0o4755);
  await fs.symlink('../etc/hostname', path.join(root, 'usr/link'));
  await fs.link(path.join(root, 'etc/hostname'), path.join(root, 'etc/hard'));
  await fs.ensureDir(path.join(root, 'tmp'));
  await fs.chmod(path.join(root, 'tmp'), 0o1777);
  await execa('mknod', [path.join(root, 'null'), 'c', '1', '3']);
  await execa('mkfifo', [path.join(root, 'fifo')]);
  const p = await xfsProtofile(root);
  const lines = p.text.split('\n');
  t.deepEqual(lines.slice(0, 3), ['dib', '0 0', `d--755 ${process.getuid!()} ${process.getgid!()}`]);
  t.true(lines.includes(` etc d--755 0 0`) || lines.some((l) => /^ etc d--755 /.test(l)));
  t.true(lines.some((l) => l === `  hostname ---644 0 0 ${path.join(root, 'etc/hostname')}`), p.text);
  t.true(lines.some((l) => /^ {3}su -u-755 0 0 /.test(l)), p.text);
  t.true(lines.some((l) => l === '  link l--777 0 0 ../etc/hostname'), p.text);
  t.true(lines.some((l) => l === ' null c--644 0 0 1 3'), p.text);
  t.true(lines.some((l) => /^ fifo p--644 0 0$/.test(l)), p.text);
  t.deepEqual(p.modes, [{ path: '/tmp', mode: 0o41777 }]);
  t.is(p.hardLinks, 2);
  t.is(lines.at(-2), '$');
});

test('protofile: names it cannot hold are refused, naming the path', async (t) => {
  const root = await tmpDir();
  await fs.outputFile(path.join(root, 'etc/with space'), '');
  await t.throwsAsync(xfsProtofile(root), { message: /\/etc\/with space has a blank, colon, backslash or control character/ });
  const r2 = await tmpDir();
  await fs.outputFile(path.join(r2, 'a:b'), '');
  await t.throwsAsync(xfsProtofile(r2), { message: /\/a:b has a blank/ });
});

test('mkfs.xfs arguments and what a host without it is told', (t) => {
  t.deepEqual(mkfsXfsArgs({ label: 'img-rootfs', uuid: 'u', opts: ['-K'] }, '/f', '/p'), ['-f', '-q', '-L', 'img-rootfs', '-m', 'uuid=u', '-K', '-p', '/p', '/f']);
  const missing = xfsProblem({ mkfs: false, protofile: false, directory: false })!;
  t.is(missing.code, 'E_HOST_TOOL_MISSING');
  t.regex(missing.hint, /apt-get install xfsprogs/);
  const old = xfsProblem({ mkfs: true, protofile: false, directory: false, version: '3.1' })!;
  t.is(old.code, 'E_DISK');
  t.regex(old.message, /mkfs\.xfs 3\.1 cannot populate a filesystem from a directory/);
  t.is(xfsProblem({ mkfs: true, protofile: true, directory: false }), undefined);
});
