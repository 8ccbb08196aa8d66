/**
 * dib diff's tar reader against archives GNU tar writes (gnu, posix and ustar formats; long
 * names and link targets; hard links; sparse files in old-GNU, pax 0.1 and 1.0 form) and
 * against hand-made headers (pax xattrs, base-256 numbers, devices), and its failures on
 * damaged input.
 */
import test from 'ava';
import { execa } from 'execa';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, lstat, mkdir, readFile, symlink, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDibError } from '@dib/core';
import { readTar, tarNumber } from '#core/diff/tar.js';
import { fixChecksum, tarArchive } from '../helpers/tar-writer.js';
import { tmpDir } from '../helpers/tmp.js';

const LONG = `${'deep/'.repeat(30)}name-longer-than-a-hundred-bytes.txt`;

async function fixture(): Promise<string> {
  const dir = await tmpDir('dib-diff-tar-');
  const tree = path.join(dir, 'tree');
  await mkdir(path.join(tree, path.dirname(LONG)), { recursive: true });
  await writeFile(path.join(tree, LONG), 'long\n');
  await writeFile(path.join(tree, 'zz-file'), 'shared content\n');
  // the second name sorts first: the reader must make `/aa-link` the file and the other the link
  await link(path.join(tree, 'zz-file'), path.join(tree, 'aa-link'));
  await symlink(`../${'x'.repeat(150)}`, path.join(tree, 'long-symlink'));
  await writeFile(path.join(tree, 'with space é'), 'utf-8 name');
  await execa('mkfifo', [path.join(tree, 'fifo')]);
  // 3 MiB, data at 1 MiB and at the end, holes between
  const sparse = path.join(tree, 'sparse');
  await execa('truncate', ['-s', '3M', sparse]);
  await execa('dd', ['if=/dev/urandom', `of=${sparse}`, 'bs=4096', 'count=2', 'seek=256', 'conv=notrunc'], { stderr: 'ignore' });
  await execa('dd', ['if=/dev/urandom', `of=${sparse}`, 'bs=4096', 'count=1', 'seek=767', 'conv=notrunc'], { stderr: 'ignore' });
  for (const p of [LONG, 'zz-file', 'with space é', 'fifo', 'sparse']) await utimes(path.join(tree, p), 1700000000, 1700000000);
  return tree;
}

const sha256 = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');

for (const [format, extra] of [
  ['gnu', ['--sparse']],
  ['posix', ['--sparse', '--sparse-version=1.0']],
  ['posix', ['--sparse', '--sparse-version=0.1']],
  ['posix', []],
] as const) {
  test(`GNU tar --format=${format} ${extra.join(' ')}: every entry as it is on disk`, async (t) => {
    const tree = await fixture();
    const file = path.join(path.dirname(tree), 'a.tar');
    await execa('tar', ['--create', `--format=${format}`, ...extra, '--numeric-owner', '--file', file, '--directory', tree, '.']);
    const { tree: got, locate } = await readTar(createReadStream(file) as AsyncIterable<Buffer>, 'a.tar');
    const st = await lstat(path.join(tree, 'zz-file'));
    t.like(got.entries.get(`/${LONG}`), { type: 'file', size: 5, sha256: createHash('sha256').update('long\n').digest('hex'), mtime: { sec: 1700000000, nsec: 0 } });
    t.like(got.entries.get('/aa-link'), { type: 'file', sha256: await sha256(path.join(tree, 'zz-file')), uid: st.uid, gid: st.gid, mode: st.mode & 0o7777 });
    t.is(got.entries.get('/aa-link')!.hardlink, undefined);
    t.is(got.entries.get('/zz-file')!.hardlink, '/aa-link');
    t.like(got.entries.get('/long-symlink'), { type: 'symlink', target: `../${'x'.repeat(150)}` });
    t.like(got.entries.get('/with space é'), { type: 'file', size: 10 });
    t.like(got.entries.get('/fifo'), { type: 'fifo' });
    t.like(got.entries.get('/sparse'), { type: 'file', size: 3 * 1024 * 1024, sha256: await sha256(path.join(tree, 'sparse')) });
    t.like(got.entries.get('/'), { type: 'dir' });
    t.is(got.entries.size, 1 + 30 + 7);
    t.regex(locate(600) ?? '', /^(header|content) of \//);
  });
}

test('hand-made headers: pax xattrs and mtime, base-256 owner, a device, a dangling hard link', async (t) => {
  const buf = tarArchive([
    { name: './', type: '5', mode: 0o755 },
    { name: './cap', mode: 0o4755, content: 'x', pax: { 'SCHILY.xattr.security.capability': Buffer.from([1, 0, 0, 2]), 'SCHILY.xattr.user.note': 'hi', mtime: '1700000000.25', uid: '4000000000' } },
    { name: './big-uid', base256Uid: true, uid: 0x1_0000_0000 },
    { name: './dev/null', type: '3', mode: 0o666, devmajor: 1, devminor: 3 },
    { name: './orphan', type: '1', linkname: './not-in-the-archive' },
  ]);
  const { tree } = await readTar([buf], 'crafted');
  t.deepEqual(tree.entries.get('/cap')!.xattrs, { 'security.capability': '01000002', 'user.note': Buffer.from('hi').toString('hex') });
  t.deepEqual(tree.entries.get('/cap')!.mtime, { sec: 1700000000, nsec: 250000000 });
  t.is(tree.entries.get('/cap')!.uid, 4000000000);
  t.is(tree.entries.get('/cap')!.mode, 0o4755);
  t.is(tree.entries.get('/big-uid')!.uid, 0x1_0000_0000);
  t.like(tree.entries.get('/dev/null'), { type: 'char', rdev: '1,3', mode: 0o666 });
  t.like(tree.entries.get('/orphan'), { hardlink: '/not-in-the-archive' });
  t.is(tarNumber(Buffer.from('0000644\0')), 0o644);
});

test('damaged archives: E_DIFF_INPUT naming what and where', async (t) => {
  const good = tarArchive([{ name: './a', content: 'aaaa' }, { name: './b', content: 'b'.repeat(2000) }]);
  const notTar = await t.throwsAsync(readTar([Buffer.alloc(1024, 0x41)], 'x.tar'));
  t.true(isDibError(notTar));
  t.regex(notTar!.message, /^x\.tar is not a tar archive$/);
  const flipped = Buffer.from(good);
  flipped[1024 + 10] = 0x7a; // the second entry's name, its checksum left as it was
  t.regex((await t.throwsAsync(readTar([flipped], 'x.tar')))!.message, /bad tar header checksum at byte 1024/);
  t.regex((await t.throwsAsync(readTar([good.subarray(0, 1024 + 512 + 700)], 'x.tar')))!.message, /truncated content of \/b/);
  t.regex((await t.throwsAsync(readTar([good.subarray(0, 1024 + 100)], 'x.tar')))!.message, /truncated tar header at byte 1024/);
  t.regex((await t.throwsAsync(readTar([Buffer.alloc(0)], 'x.tar')))!.message, /empty tar archive/);
  // a header whose checksum was fixed after a change is read, with the change
  const changed = Buffer.from(good);
  changed.write('0000600\0', 100, 'latin1');
  fixChecksum(changed.subarray(0, 512));
  t.is((await readTar([changed], 'x.tar')).tree.entries.get('/a')!.mode, 0o600);
});
