import test from 'ava';
import { dirname } from 'node:path';
import { checksumPaths, isTempName, OUTPUT_EXTENSIONS, outputPath, tempPathFor, uniqueTypes } from '#core/output/naming.js';
import { isTreeOutput, productionOrder } from '#core/output/write.js';

test('output names follow DIB: <base>.<ext>, squashfs as .squash', (t) => {
  t.is(outputPath('/x/image', 'qcow2'), '/x/image.qcow2');
  t.is(outputPath('/x/image', 'raw'), '/x/image.raw');
  t.is(outputPath('/x/image', 'vhd'), '/x/image.vhd');
  t.is(outputPath('/x/image', 'tar'), '/x/image.tar');
  t.is(outputPath('/x/image', 'tgz'), '/x/image.tgz');
  t.is(outputPath('/x/image', 'squashfs'), '/x/image.squash');
  t.deepEqual(Object.keys(OUTPUT_EXTENSIONS).sort(), ['qcow2', 'raw', 'squashfs', 'tar', 'tgz', 'vhd']);
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
  t.deepEqual(uniqueTypes(['qcow2', 'tar', 'qcow2', 'raw']), ['qcow2', 'tar', 'raw']);
});

test('production order: tree outputs, conversions, raw last (whatever the request order)', (t) => {
  t.deepEqual(productionOrder(['raw', 'qcow2', 'squashfs', 'vhd', 'tgz', 'tar']), ['squashfs', 'tgz', 'tar', 'qcow2', 'vhd', 'raw']);
  t.deepEqual(productionOrder(['raw']), ['raw']);
  t.deepEqual(productionOrder(['tar', 'squashfs']), ['tar', 'squashfs']);
  t.true(isTreeOutput('squashfs'));
  t.false(isTreeOutput('vhd'));
});
