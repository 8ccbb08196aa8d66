/**
 * The output-format registry: the built-in table, what an element may add through the core's
 * output hook, and what it may not (a bad name, a taken type or extension, no writer).
 */
import test from 'ava';
import { defineElement, defineOutputFormat, getOutputHooks, isDibError, OUTPUT_TYPES, outputFormats, type OutputFormat } from '@dib/core';
import { createTestBuild } from '@dib/core/testing';
import { BUILTIN_OUTPUT_FORMATS } from '#core/output/formats.js';
import { OutputFormatRegistry } from '#core/output/registry.js';
import cpio from '@dib/element-cpio';

const write = async () => {};
const fmt = (o: Partial<OutputFormat>): OutputFormat => ({ type: 'x', extension: 'x', from: 'tree', description: 'x', write, ...o }) as OutputFormat;

test('the built-in formats are one table, and config/ knows their names', (t) => {
  t.deepEqual(
    BUILTIN_OUTPUT_FORMATS.map((f) => f.type),
    [...OUTPUT_TYPES],
  );
  t.deepEqual(
    BUILTIN_OUTPUT_FORMATS.map((f) => [f.type, f.extension, f.from, (f.hostTools ?? []).map((h) => h.command).join(' ')]),
    [
      ['raw', 'raw', 'disk', 'cp'],
      ['qcow2', 'qcow2', 'disk', 'qemu-img'],
      ['vhd', 'vhd', 'disk', 'qemu-img'],
      ['tar', 'tar', 'tree', 'tar'],
      ['tgz', 'tgz', 'tree', 'tar gzip'],
      ['squashfs', 'squash', 'tree', 'mksquashfs'],
    ],
  );
  t.true(BUILTIN_OUTPUT_FORMATS.every((f) => Object.isFrozen(f) && f.description.length > 5));
});

test('a format that is not well formed, or takes a type or an extension, is refused naming who added it', (t) => {
  const reg = new OutputFormatRegistry();
  const refuse = (f: unknown, re: RegExp) => {
    const e = t.throws(() => reg.add(f as OutputFormat, 'element acme'));
    t.true(isDibError(e));
    t.is((e as unknown as { code: string }).code, 'E_ELEMENT_INVALID');
    t.regex(e!.message, re);
  };
  refuse(fmt({ type: 'Bad Name' }), /^element acme adds an output format that has the type "Bad Name"/);
  refuse(fmt({ type: 'iso', extension: '.iso' }), /'iso' has the file extension "\.iso"/);
  refuse(fmt({ type: 'iso', extension: 'a/b' }), /file extension "a\/b"/);
  refuse(fmt({ type: 'iso', from: 'disc' as never }), /'iso' is made from "disc"/);
  refuse({ type: 'iso', extension: 'iso', from: 'disk', description: 'x' }, /'iso' has no write function/);
  refuse(fmt({ type: 'tar', extension: 'tar2' }), /'tar', which is built into dib/);
  refuse(fmt({ type: 'squash2', extension: 'squash' }), /'squash2' with the extension '\.squash' of 'squashfs' \(built in\)/);
  reg.add(fmt({ type: 'iso', extension: 'iso' }), 'element acme');
  refuse(fmt({ type: 'iso', extension: 'iso9660' }), /'iso', which element acme adds already/);
  t.deepEqual(reg.types(), [...OUTPUT_TYPES, 'iso']);
  t.is(reg.providerOf('iso'), 'element acme');
  t.is(reg.providerOf('qcow2'), 'dib');
  const e = t.throws(() => reg.get('qcow3'));
  t.regex(e!.message, /unknown output type 'qcow3' \(did you mean 'qcow2'\?\)/);
});

test('elements add formats through the output hook, once per build, after every apply()', async (t) => {
  const seen: string[][] = [];
  const iso = defineElement({
    name: 'iso',
    apply(build) {
      getOutputHooks(build).formats.tap('iso', (formats) => {
        seen.push(formats.types());
        formats.add(defineOutputFormat({ type: 'iso', extension: 'iso', from: 'tree', description: 'an ISO 9660 image', write }));
      });
    },
  });
  const tb = await createTestBuild({ elements: [iso, cpio], expand: false });
  t.teardown(() => tb.dispose());
  const reg = outputFormats(tb.build);
  t.is(outputFormats(tb.build), reg, 'one registry per build');
  t.true(reg.has('iso') && reg.has('cpio'));
  t.is(reg.providerOf('iso'), 'element iso');
  t.is(reg.providerOf('cpio'), 'element cpio');
  t.is(reg.get('cpio').extension, 'cpio.gz');
  // the hook ran once; a tap sees the built-in types and those of the taps before it
  t.is(seen.length, 1);
  t.deepEqual(seen[0]!.slice(0, OUTPUT_TYPES.length), [...OUTPUT_TYPES]);
  t.false(seen[0]!.includes('iso'));
  // another build of the same elements has its own registry
  const other = await createTestBuild({ elements: [], expand: false });
  t.teardown(() => other.dispose());
  t.false(outputFormats(other.build).has('iso'));
});
