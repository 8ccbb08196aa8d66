import test from 'ava';
import { isDibError } from '@dib/core';
import { assertHostTools, findTool, requiredHostTools } from '#core/output/tools.js';
import { builtInRegistry } from '#core/output/registry.js';

const formats = (...types: string[]) => types.map((x) => builtInRegistry().get(x));

test('requiredHostTools names command, Debian package and why, once per command', (t) => {
  t.deepEqual(requiredHostTools(formats('qcow2', 'vhd', 'squashfs')), [
    { command: 'qemu-img', package: 'qemu-utils', why: 'qcow2, vhd output' },
    { command: 'mksquashfs', package: 'squashfs-tools', why: 'squashfs output' },
  ]);
  t.deepEqual(requiredHostTools(formats('tgz')), [
    { command: 'tar', package: 'tar', why: 'tgz output' },
    { command: 'gzip', package: 'gzip', why: 'tgz output' },
  ]);
  t.deepEqual(requiredHostTools([]), []);
});

test('a missing tool is E_HOST_TOOL_MISSING naming the output type and the package', (t) => {
  const e = t.throws(() => assertHostTools(formats('tar', 'qcow2'), '/nonexistent-dir'));
  t.true(isDibError(e));
  const err = e as unknown as { code: string; message: string; hint: string; details: string[] };
  t.is(err.code, 'E_HOST_TOOL_MISSING');
  t.regex(err.message, /tar output needs 'tar'/);
  t.regex(err.hint, /apt-get install tar qemu-utils/);
  t.true(err.details.some((d) => /qemu-img \(package qemu-utils\) for qcow2 output/.test(d)));
});

test('findTool searches PATH', (t) => {
  t.is(findTool('sh', '/bin:/usr/bin')?.endsWith('/sh'), true);
  t.is(findTool('surely-not-a-command-dib', '/bin:/usr/bin'), undefined);
  t.notThrows(() => assertHostTools(formats('raw'), '/usr/bin:/bin'));
});
