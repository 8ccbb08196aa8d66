import test from 'ava';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checksumLine, hashFile } from '#core/output/checksum.js';

test('checksum lines use the coreutils format: hex, two spaces, basename', (t) => {
  const hex = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
  t.is(checksumLine(hex, '/some/dir/image.qcow2'), `${hex}  image.qcow2\n`);
  t.is(checksumLine('abc', 'image name.raw'), 'abc  image name.raw\n');
});

test('names with a backslash or newline are escaped as coreutils does', (t) => {
  t.is(checksumLine('abc', '/d/a\\b'), '\\abc  a\\\\b\n');
  t.is(checksumLine('abc', '/d/a\nb'), '\\abc  a\\nb\n');
});

test('hashFile streams sha256 (and md5 when asked) and counts bytes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'dib-out-sum-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const f = join(dir, 'f');
  await writeFile(f, 'abc');
  t.deepEqual(await hashFile(f), { sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', bytes: 3 });
  t.deepEqual(await hashFile(f, { md5: true }), {
    sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    md5: '900150983cd24fb0d6963f7d28e17f72',
    bytes: 3,
  });
  // larger than one read chunk
  const big = join(dir, 'big');
  await writeFile(big, Buffer.alloc(3 * 1024 * 1024 + 5, 7));
  const h = await hashFile(big);
  t.is(h.bytes, 3 * 1024 * 1024 + 5);
  t.regex(h.sha256, /^[0-9a-f]{64}$/);
});
