import test from 'ava';
import { dirname } from 'node:path';
import { checksumPaths, isTempName, outputPath, tempPathFor } from '#core/output/naming.js';
import { loadOf, requestedFormats } from '#core/output/write.js';
import { builtInRegistry } from '#core/output/registry.js';

test('output names follow DIB: <base>.<ext>, squashfs as .squash', (t) => {
  const reg = builtInRegistry();
  const name = (type: string) => outputPath('/x/image', reg.get(type));
  t.is(name('qcow2'), '/x/image.qcow2');
  t.is(name('raw'), '/x/image.raw');
  t.is(name('vhd'), '/x/image.vhd');
  t.is(name('tar'), '/x/image.tar');
  t.is(name('tgz'), '/x/image.tgz');
  t.is(name('squashfs'), '/x/image.squash');
  t.is(outputPath('/x/image', { extension: 'cpio.gz' }), '/x/image.cpio.gz');
});

test('checksum files sit beside the output', (t) => {
  t.deepEqual(checksumPaths('/x/image.qcow2'), { md5: '/x/image.qcow2.md5', sha256: '/x/image.qcow2.sha256' });
});

test('temporary names are hidden, unique and in the destination directory', (t) => {
  const a = tempPathFor('/out/dir/image.qcow2');
  const b = tempPathFor('/out/dir/image.qcow2');
  t.is(dirname(a), '/out/dir');
  t.not(a, b);
  t.regex(a, /\/\.image\.qcow2\.dib-tmp-\d+-[0-9a-f]{8}$/);
  t.true(isTempName(a));
  t.false(isTempName('/out/dir/image.qcow2'));
});

test('duplicate types are written once, in the requested order', (t) => {
  t.deepEqual(
    requestedFormats(['qcow2', 'tar', 'qcow2', 'raw']).map((f) => f.type),
    ['qcow2', 'tar', 'raw'],
  );
});

test('what each built-in format is made from, what it costs, and that raw takes the disk', (t) => {
  const reg = builtInRegistry();
  t.deepEqual(
    reg.list().map((f) => [f.type, f.from, loadOf(f, { compress: true }), loadOf(f, { compress: false }), Boolean(f.takesDisk)]),
    [
      ['raw', 'disk', 'io', 'io', true],
      ['qcow2', 'disk', 'cpu', 'io', false],
      ['vhd', 'disk', 'io', 'io', false],
      ['tar', 'tree', 'io', 'io', false],
      ['tgz', 'tree', 'cpu', 'cpu', false],
      ['squashfs', 'tree', 'cpu', 'cpu', false],
    ],
  );
});
