import test from 'ava';
import { qcow2Args, qcow2CompressionType, vhdArgs } from '#core/output/qemu-img.js';
import { gzipCompressor, mksquashfsArgs, tarArgs } from '#core/output/tree.js';
import { contentExcludes, parseMountinfo, pseudoMountsUnder } from '#core/output/mounts.js';

test('qcow2: -c only when compressing, zstd unless asked otherwise, -o with the user options', (t) => {
  t.deepEqual(qcow2Args({ raw: '/w/image.raw', file: '/o/t', compress: true }), ['convert', '-W', '-m', '8', '-f', 'raw', '-O', 'qcow2', '-c', '-o', 'compression_type=zstd', '/w/image.raw', '/o/t']);
  t.deepEqual(qcow2Args({ raw: '/w/r', file: '/o/t', compress: true, compression: 'zlib', options: 'cluster_size=131072' }), ['convert', '-W', '-m', '8', '-f', 'raw', '-O', 'qcow2', '-c', '-o', 'compression_type=zlib,cluster_size=131072', '/w/r', '/o/t']);
  // the user's own compression_type wins; a compat=0.10 image has none (zlib)
  t.deepEqual(qcow2Args({ raw: '/w/r', file: '/o/t', compress: true, options: 'compression_type=zlib' }).at(-3), 'compression_type=zlib');
  t.deepEqual(qcow2Args({ raw: '/w/r', file: '/o/t', compress: true, options: 'compat=0.10' }).at(-3), 'compat=0.10');
  t.is(qcow2CompressionType({ compress: true, options: 'compat=0.10' }), 'zlib');
  t.is(qcow2CompressionType({ compress: false }), undefined);
  // reproducible: clusters written in order (no -W)
  t.false(qcow2Args({ raw: '/w/r', file: '/o/t', compress: true, inOrder: true }).includes('-W'));
  t.deepEqual(qcow2Args({ raw: '/w/r', file: '/o/t', compress: false, options: 'compat=0.10' }), ['convert', '-W', '-m', '8', '-f', 'raw', '-O', 'qcow2', '-o', 'compat=0.10', '/w/r', '/o/t']);
  t.deepEqual(qcow2Args({ raw: '/w/r', file: '/o/t', compress: false, options: '  ' }), ['convert', '-W', '-m', '8', '-f', 'raw', '-O', 'qcow2', '/w/r', '/o/t']);
});

test('vhd: a fixed VPC image with the exact size', (t) => {
  t.deepEqual(vhdArgs({ raw: '/w/r', file: '/o/t' }), ['convert', '-f', 'raw', '-O', 'vpc', '-o', 'subformat=fixed,force_size=on', '/w/r', '/o/t']);
});

test('tar: numeric owners, xattrs, sorted, no atime/ctime, proc/sys contents excluded (anchored), archive of .', (t) => {
  const a = tarArgs({ tree: '/t', file: '/o/x', excludeContents: ['proc', 'sys'] });
  t.deepEqual(a, [
    '--create',
    '--file',
    '/o/x',
    '--numeric-owner',
    '--xattrs',
    '--xattrs-include=*',
    '--sparse',
    '--sort=name',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '--anchored',
    '--wildcards',
    '--exclude=./proc/*',
    '--exclude=./sys/*',
    '--directory',
    '/t',
    '.',
  ]);
  t.true(a.indexOf('--anchored') < a.indexOf('--exclude=./proc/*'));
  const z = tarArgs({ tree: '/t', file: '/o/x', excludeContents: ['proc'], compressor: gzipCompressor('gzip') });
  t.deepEqual(z.slice(z.indexOf('--use-compress-program'), z.indexOf('--use-compress-program') + 2), ['--use-compress-program', 'gzip -9 -n']);
  t.true(tarArgs({ tree: '/t', file: '/o/x', excludeContents: ['we*ird'] }).includes('--exclude=./we\\*ird/*'));
  // SOURCE_DATE_EPOCH clamps every mtime
  const r = tarArgs({ tree: '/t', file: '/o/x', excludeContents: [], sourceDateEpoch: 1700000000 });
  t.deepEqual(r.slice(r.indexOf('--mtime=@1700000000'), r.indexOf('--mtime=@1700000000') + 2), ['--mtime=@1700000000', '--clamp-mtime']);
  // sparse members would be named after tar's process id
  t.false(r.includes('--sparse'));
});

test('mksquashfs: -noappend, chosen compressor, -e list last', (t) => {
  const a = mksquashfsArgs({ tree: '/t', file: '/o/x', excludeContents: ['proc', 'sys', 'dev/pts'], compression: 'xz' });
  t.deepEqual(a.slice(0, 2), ['/t', '/o/x']);
  t.true(a.includes('-noappend'));
  t.deepEqual(a.slice(a.indexOf('-comp'), a.indexOf('-comp') + 2), ['-comp', 'xz']);
  t.deepEqual(a.slice(a.indexOf('-e')), ['-e', 'proc/*', 'sys/*', 'dev/pts/*']);
  t.true(mksquashfsArgs({ tree: '/t', file: '/o/x', excludeContents: [], compression: 'zstd' }).includes('zstd'));
  t.false(a.includes('-mkfs-time'));
  const r = mksquashfsArgs({ tree: '/t', file: '/o/x', excludeContents: ['proc'], compression: 'xz', sourceDateEpoch: 1700000000 });
  t.deepEqual(r.slice(r.indexOf('-mkfs-time'), r.indexOf('-mkfs-time') + 2), ['-mkfs-time', '1700000000']);
  t.deepEqual(r.slice(r.indexOf('-e')), ['-e', 'proc/*']);
});

const MOUNTINFO = `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw
40 22 0:5 / /tmp/b/root/proc rw,nosuid shared:2 - proc proc rw
41 22 0:6 / /tmp/b/root/dev rw shared:3 - devtmpfs udev rw
42 41 0:7 / /tmp/b/root/dev/pts rw shared:4 - devpts devpts rw
43 22 8:2 / /tmp/b/root/boot/efi rw shared:5 - vfat /dev/vdb1 rw
44 22 0:8 / /tmp/b/root/with\\040space rw shared:6 - tmpfs tmpfs rw
45 22 0:9 / /tmp/b/rootless rw shared:7 - tmpfs tmpfs rw
`;

test('pseudo filesystems mounted below the tree are found (nested and foreign ones dropped)', (t) => {
  const m = parseMountinfo(MOUNTINFO);
  t.is(m.length, 7);
  t.like(m[5], { mountPoint: '/tmp/b/root/with space', fsType: 'tmpfs', options: ['rw'], source: 'tmpfs' });
  t.deepEqual(pseudoMountsUnder('/tmp/b/root', m), ['dev', 'proc', 'with space']);
  t.deepEqual(pseudoMountsUnder('/tmp/b/root/', m), ['dev', 'proc', 'with space']);
  t.deepEqual(contentExcludes(['dev', 'proc']), ['dev', 'proc', 'sys']);
});

test('qemu-img -p progress: the last percentage of a chunk; -p goes right after convert', async (t) => {
  const { qemuImgPercent, withProgress } = await import('#core/output/qemu-img.js');
  t.is(qemuImgPercent('    (0.00/100%)\r    (12.50/100%)\r    (42.17/100%)\r'), 42.17);
  t.is(qemuImgPercent('    (100.00/100%)\n'), 100);
  t.is(qemuImgPercent('no progress here'), undefined);
  t.deepEqual(withProgress(['convert', '-W', 'a', 'b']), ['convert', '-p', '-W', 'a', 'b']);
});
