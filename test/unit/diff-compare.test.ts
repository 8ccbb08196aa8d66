/**
 * dib diff's comparison and report: the order differences are named in, what formats cannot
 * hold (FAT: no owners; squashfs: whole seconds), the text and JSON forms, the field parsers of
 * the tools' outputs, and the detection of input formats with its exit-2 errors.
 */
import test from 'ava';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDibError } from '@dib/core';
import { compareSnapshots, compareTrees, mtimeText } from '#core/diff/compare.js';
import { detectFormat } from '#core/diff/detect.js';
import { dumpe2fsFields, hasPartitionTable, minfoFields, qemuImgFields } from '#core/diff/disk.js';
import { differenceLine, fieldCounts, formatDiff } from '#core/diff/format.js';
import { gzipFields } from '#core/diff/index.js';
import { parsePseudo, pseudoWords, squashfsFields } from '#core/diff/squashfs.js';
import type { Snapshot, Tree, TreeEntry } from '#core/diff/types.js';
import { tmpDir } from '../helpers/tmp.js';

const FULL = { owners: true, modes: true, xattrs: true, mtimeResolution: 1 };
const file = (over: Partial<TreeEntry> = {}): TreeEntry => ({ type: 'file', mode: 0o644, uid: 0, gid: 0, size: 3, mtime: { sec: 100, nsec: 0 }, sha256: 'a'.repeat(64), ...over });
const dir = (over: Partial<TreeEntry> = {}): TreeEntry => ({ type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: { sec: 100, nsec: 0 }, ...over });
const tree = (entries: Record<string, TreeEntry>, can = FULL): Tree => ({ entries: new Map(Object.entries(entries)), can });

test('per file: presence, type, mode, owner, size, mtime, content, target, device, xattrs, hard link — in path byte order', (t) => {
  const a = tree({
    '/': dir(),
    '/b': file(),
    '/a': file({ mode: 0o600, uid: 1, mtime: { sec: 100, nsec: 5 } }),
    '/c': file({ xattrs: { 'user.x': '01' } }),
    '/l': { ...file(), type: 'symlink', target: 'x', sha256: undefined },
    '/Z': file(),
    '/h': file({ hardlink: '/b' }),
    '/d': { ...file(), type: 'char', rdev: '1,3', sha256: undefined },
  });
  const b = tree({
    '/': dir(),
    '/b': file({ size: 4, sha256: 'b'.repeat(64) }),
    '/a': file({ mtime: { sec: 100, nsec: 6 } }),
    '/c': file({ xattrs: { 'user.x': '02', 'user.y': '00' } }),
    '/l': { ...file(), type: 'symlink', target: 'y', sha256: undefined },
    '/h': file(),
    '/d': { ...file(), type: 'char', rdev: '1,5', sha256: undefined },
    '/e': dir(),
  });
  t.deepEqual(
    compareTrees('files', a, b).map((d) => `${d.path} ${d.field} ${d.a ?? '-'} ${d.b ?? '-'}`),
    [
      '/Z presence file -',
      '/a mode 0600 0644',
      '/a owner 1:0 0:0',
      '/a mtime 1970-01-01T00:01:40.000000005Z 1970-01-01T00:01:40.000000006Z',
      `/b size 3 4`,
      `/b content sha256:${'a'.repeat(64)} sha256:${'b'.repeat(64)}`,
      '/c xattr user.x 01 02',
      '/c xattr user.y - 00',
      '/d device 1,3 1,5',
      '/e presence - dir',
      '/h hard link to /b -',
      '/l symlink target x y',
    ],
  );
});

test('fields a format cannot hold are not compared; mtimes at the coarser resolution', (t) => {
  const fat = { owners: false, modes: false, xattrs: false, mtimeResolution: 2e9 };
  const a = tree({ '/f': file({ uid: 5, mode: 0o600, mtime: { sec: 100, nsec: 0 }, xattrs: { 'user.a': '00' } }) });
  const b = tree({ '/f': file({ mtime: { sec: 101, nsec: 999 } }) }, fat);
  t.deepEqual(compareTrees('files', a, b), []);
  const c = tree({ '/f': file({ mtime: { sec: 102, nsec: 0 } }) }, fat);
  t.is(compareTrees('files', a, c)[0]!.field, 'mtime');
  t.is(mtimeText({ sec: 1700000000, nsec: 120000000 }), '2023-11-14T22:13:20.12Z');
});

const snap = (over: Partial<Snapshot>): Snapshot => ({ path: 'x', format: 'raw-disk', summary: 's', sections: [], ...over });

test('snapshots: sections in order, fields by name, the format first; different formats on their largest trees', (t) => {
  const a = snap({
    sections: [
      { key: 'partition table', title: 'partition table', fields: [['label', 'gpt'], ['disk identifier', 'A']] },
      { key: 'partition 1', title: 'partition 1 (root)', fields: [['UUID', 'u1']] },
      { key: 'partition 1 filesystem', title: 'partition 1 (root) ext4', fields: [['Filesystem UUID', 'f1']], tree: tree({ '/': dir(), '/x': file() }) },
    ],
  });
  const b = snap({
    sections: [
      { key: 'partition table', title: 'partition table', fields: [['label', 'gpt'], ['disk identifier', 'B'], ['new field', 'n']] },
      { key: 'partition 1 filesystem', title: 'partition 1 (root) ext4', fields: [['Filesystem UUID', 'f1']], tree: tree({ '/': dir(), '/x': file({ mode: 0o600 }) }) },
    ],
  });
  t.deepEqual(
    compareSnapshots(a, b).map(differenceLine),
    ['partition table: disk identifier: A → B', 'partition table: new field: (absent) → n', 'partition 1 (root): presence: present → (absent)', 'partition 1 (root) ext4 /x: mode: 0644 → 0600'],
  );
  const tar = snap({ format: 'tar', summary: 'tar archive', sections: [{ key: 'files', title: 'files', fields: [], tree: tree({ '/': dir(), '/x': file() }) }] });
  t.deepEqual(compareSnapshots(tar, a).map(differenceLine), ['input: format: tar archive → s']);
  // a qcow2 against the raw disk it holds: only the format (its container section is not a difference)
  const qcow = snap({ format: 'qcow2', summary: 'q', sections: [{ key: 'container', title: 'qcow2 container', fields: [['compat', '1.1']] }, ...a.sections] });
  t.deepEqual(compareSnapshots(qcow, a).map((d) => d.field), ['format']);
});

test('the text report: headline, inputs, per-field counts, the first N, how to see the rest', (t) => {
  const r = {
    identical: false,
    a: { path: 'a.raw', format: 'raw-disk' as const, summary: 'raw GPT disk', sha256: '1'.repeat(64) },
    b: { path: 'b.raw', format: 'raw-disk' as const, summary: 'raw GPT disk', sha256: '2'.repeat(64) },
    differences: [
      { where: 'partition table', field: 'disk identifier', a: 'A', b: 'B' },
      ...Array.from({ length: 30 }, (_, i) => ({ where: 'files', path: `/f${i}`, field: 'mtime', a: 'x', b: 'y' })),
    ],
  };
  const lines = formatDiff(r, 5);
  t.is(lines[0], 'dib diff: A and B differ (31 differences)');
  t.is(lines[1], 'A: a.raw: raw GPT disk, sha256 1111111111111111…'.replace(/^/, '  '));
  t.is(lines[3], '  by field: disk identifier 1, mtime 30');
  t.is(lines[4], '  partition table: disk identifier: A → B');
  t.is(lines.length, 4 + 5 + 1);
  t.regex(lines.at(-1)!, /… and 26 more \(--max 0 lists them all/);
  t.is(formatDiff(r, 0).length, 4 + 31);
  t.deepEqual(formatDiff({ ...r, identical: true, differences: [], b: { ...r.b, sha256: '1'.repeat(64) } }), [`dib diff: identical (sha256 ${'1'.repeat(64)})`, '  A: a.raw', '  B: b.raw']);
  t.is(differenceLine({ where: 'files', path: '/x', field: 'content', a: `sha256:${'c'.repeat(64)}` }), `files /x: content: sha256:${'c'.repeat(16)}… → (absent)`);
  t.regex(fieldCounts(Array.from({ length: 20 }, (_, i) => ({ where: 'w', field: `f${i}` }))), /… \(8 more fields\)$/);
});

test('tool output parsers: dumpe2fs -h, minfo, qemu-img info, unsquashfs -s and -pf, the gzip header', (t) => {
  const dump = dumpe2fsFields('Filesystem volume name:   cloudimg-rootfs\nFilesystem UUID:          355d4fe9-a39b\nFilesystem features:      has_journal ext_attr\nInode size:\t          256\n\nJournal features:         (none)\n');
  t.deepEqual(dump, [['Filesystem volume name', 'cloudimg-rootfs'], ['Filesystem UUID', '355d4fe9-a39b'], ['Filesystem features', 'has_journal ext_attr'], ['Inode size', '256'], ['Journal features', '(none)']]);
  const minfo = minfoFields('device information:\n===================\nfilename="v.img"\nsectors per track: 32\n\nbootsector information\n======================\nbanner:"mkfs.fat"\nsector size: 512 bytes\nserial number: 39549AA8\ndisk label="ESP        "\n');
  t.deepEqual(minfo, [['banner', 'mkfs.fat'], ['sector size', '512 bytes'], ['serial number', '39549AA8'], ['disk label', 'ESP']]);
  t.deepEqual(qemuImgFields({ 'virtual-size': 1024, filename: 'x', format: 'qcow2', 'actual-size': 5, 'format-specific': { type: 'qcow2', data: { compat: '1.1', 'lazy-refcounts': false } } }), [
    ['virtual-size', '1024'],
    ['format', 'qcow2'],
    ['type', 'qcow2'],
    ['compat', '1.1'],
    ['lazy-refcounts', 'false'],
  ]);
  const sq = squashfsFields('Found a valid SQUASHFS 4:0 superblock on /tmp/x.sq.\nCreation or last append time Tue Dec  1 21:54:18 2026\nFilesystem size 323 bytes (0.32 Kbytes / 0.00 Mbytes)\nCompression gzip\nBlock size 131072\nFilesystem is exportable via NFS\nNumber of fragments 1\n', '1796162058\n');
  t.deepEqual(sq, [
    ['mkfs time', '1796162058 (2026-12-01T21:54:18.000Z)'],
    ['Filesystem size', '323 bytes (0.32 Kbytes / 0.00 Mbytes)'],
    ['Compression', 'gzip'],
    ['Block size', '131072'],
    ['Number of fragments', '1'],
    ['flags', 'Filesystem is exportable via NFS'],
  ]);
  t.deepEqual(pseudoWords('sp\\ ace R 1 644 0 0 3 8'), ['sp ace', 'R', '1', '644', '0', '0', '3', '8']);
  const p = parsePseudo('/ D 10 755 0 0\nd/f R 11 4755 1 2 6 0\nhl L d/f\nl S 12 777 0 0 d/f\nc C 13 644 0 0 1 3\np I 14 644 0 0 f\ns I 14 644 0 0 s\n#\n');
  t.like(p.entries.get('/d/f'), { type: 'file', mode: 0o4755, uid: 1, gid: 2, size: 6, mtime: { sec: 11, nsec: 0 } });
  t.deepEqual(p.data.get('/d/f'), [0, 6]);
  t.like(p.entries.get('/l'), { type: 'symlink', target: 'd/f' });
  t.like(p.entries.get('/c'), { type: 'char', rdev: '1,3' });
  t.is(p.entries.get('/p')!.type, 'fifo');
  t.is(p.entries.get('/s')!.type, 'socket');
  t.deepEqual(p.links, [['/hl', '/d/f']]);
  const gz = Buffer.from([0x1f, 0x8b, 8, 8, 0x10, 0, 0, 0, 2, 3, ...Buffer.from('image.tar\0')]);
  t.deepEqual(gzipFields(gz), [['gzip mtime', '16 (1970-01-01T00:00:16.000Z)'], ['gzip extra flags', '2'], ['gzip OS', '3'], ['gzip file name', 'image.tar']]);
});

test('input formats by their magic bytes; a missing, empty or unknown input is E_DIFF_INPUT (exit 2)', async (t) => {
  const d = await tmpDir('dib-diff-detect-');
  const put = async (name: string, b: Buffer) => {
    await writeFile(path.join(d, name), b);
    return path.join(d, name);
  };
  const mbr = Buffer.alloc(4096);
  mbr.writeUInt16LE(0xaa55, 510);
  mbr[446 + 4] = 0x83;
  mbr.writeUInt32LE(2048, 446 + 12);
  const gpt = Buffer.from(mbr);
  gpt.write('EFI PART', 512, 'latin1');
  const ext = Buffer.alloc(4096);
  ext.writeUInt16LE(0xef53, 1080);
  const fat = Buffer.alloc(4096);
  fat.writeUInt16LE(0xaa55, 510);
  fat.write('FAT32   ', 82, 'latin1');
  const tarHead = Buffer.alloc(1024);
  tarHead.write('ustar', 257, 'latin1');
  await mkdir(path.join(d, 'tree'));
  t.is(await detectFormat(await put('a.qcow2', Buffer.from('QFI\xfb\0\0\0\x03', 'latin1')), 'A'), 'qcow2');
  t.is(await detectFormat(await put('a.vhd', Buffer.concat([Buffer.from('conectix'), Buffer.alloc(600)])), 'A'), 'vhd');
  t.is(await detectFormat(await put('a.sq', Buffer.from('hsqs\0\0\0\0')), 'A'), 'squashfs');
  t.is(await detectFormat(await put('a.tgz', Buffer.from([0x1f, 0x8b, 8, 0])), 'A'), 'tgz');
  t.is(await detectFormat(await put('a.tar', tarHead), 'A'), 'tar');
  t.is(await detectFormat(await put('mbr.raw', mbr), 'A'), 'raw-disk');
  t.is(await detectFormat(await put('gpt.raw', gpt), 'A'), 'raw-disk');
  t.is(await detectFormat(await put('ext.img', ext), 'A'), 'ext');
  t.is(await detectFormat(await put('fat.img', fat), 'A'), 'vfat');
  t.false(hasPartitionTable(fat), 'a FAT boot sector is not an MBR');
  t.is(await detectFormat(path.join(d, 'tree'), 'B'), 'directory');
  for (const [input, re] of [
    [path.join(d, 'missing.qcow2'), /^B: .*missing\.qcow2: no such file or directory$/],
    [await put('notes.txt', Buffer.from('hello\n')), /^B: .*notes\.txt: unknown format \(no image, archive or filesystem signature\)$/],
    [await put('empty.raw', Buffer.alloc(0)), /^B: .*empty\.raw: unknown format \(empty file\)$/],
  ] as const) {
    const e = await t.throwsAsync(detectFormat(input, 'B'));
    t.true(isDibError(e));
    t.like(e, { code: 'E_DIFF_INPUT', exitCode: 2 });
    t.regex(e!.message, re);
  }
});
