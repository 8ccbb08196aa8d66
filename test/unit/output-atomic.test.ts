import test from 'ava';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DibError, isDibError, silentLogger } from '@dib/core';
import type { CommandRunner, RunOptions, RunResult } from '@dib/core';
import { writeOutputs } from '#core/output/index.js';
import { liveTemps } from '#core/output/atomic.js';

type Behaviour = (file: string, args: readonly string[]) => Promise<void>;

/** A runner that never runs anything: it writes the "output" argument itself. */
function fakeRunner(behaviour: Behaviour): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const runner: CommandRunner & { calls: string[][] } = {
    calls,
    withLogger: () => runner,
    async run(file: string, args: readonly string[] = [], _o?: RunOptions): Promise<RunResult> {
      calls.push([file, ...args]);
      await behaviour(file, args);
      return { exitCode: 0, stdout: '', stderr: '' };
    },
    async sh(): Promise<RunResult> {
      throw new Error('not used');
    },
  };
  return runner;
}

/** The file a writer was asked to produce. */
function target(file: string, args: readonly string[]): string {
  if (file === 'tar') return args[args.indexOf('--file') + 1]!;
  if (file === 'mksquashfs') return args[1]!;
  return args[args.length - 1]!;
}

const writes = (content: string): Behaviour => async (file, args) => {
  await writeFile(target(file, args), content);
};

const failsHalfway: Behaviour = async (file, args) => {
  await writeFile(target(file, args), 'PARTIAL');
  throw new DibError('E_COMMAND_FAILED', `${file} exited with status 1`, { details: ['qemu-img: disk full'], hint: 'see the output above' });
};

async function setup(t: { teardown(fn: () => Promise<void>): void }) {
  const dir = await mkdtemp(join(tmpdir(), 'dib-out-atomic-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const out = join(dir, 'out');
  await mkdir(out);
  const raw = join(dir, 'image.raw');
  await writeFile(raw, 'RAWDATA');
  const tree = join(dir, 'tree');
  await mkdir(tree);
  return { dir, out, raw, tree, base: join(out, 'image') };
}

const base = { compress: true, checksum: false, log: silentLogger };

test('a failed conversion leaves the existing output and its checksums untouched, and no temp file', async (t) => {
  const s = await setup(t);
  await writeFile(join(s.out, 'image.qcow2'), 'OLD');
  await writeFile(join(s.out, 'image.qcow2.sha256'), 'OLDSUM');
  const run = fakeRunner(failsHalfway);
  const e = await t.throwsAsync(writeOutputs({ ...base, checksum: true, formats: ['qcow2'], outputBase: s.base, rawImage: s.raw, run }));
  t.true(isDibError(e));
  t.is((e as unknown as DibError).code, 'E_OUTPUT');
  t.regex(e!.message, /could not write the qcow2 output .*image\.qcow2/);
  t.deepEqual((e as unknown as DibError).details, ['qemu-img: disk full']);
  t.is(await readFile(join(s.out, 'image.qcow2'), 'utf8'), 'OLD');
  t.is(await readFile(join(s.out, 'image.qcow2.sha256'), 'utf8'), 'OLDSUM');
  t.deepEqual((await readdir(s.out)).sort(), ['image.qcow2', 'image.qcow2.sha256']);
  // (other tests of this file run at the same time: only this test's temporary files count)
  t.deepEqual(liveTemps().filter((p) => p.startsWith(s.dir)), []);
  // the raw image the conversion read from is still there
  t.is(await readFile(s.raw, 'utf8'), 'RAWDATA');
});

test('a successful write replaces the old output in place (no timestamped copies) and drops stale checksums', async (t) => {
  const s = await setup(t);
  await writeFile(join(s.out, 'image.qcow2'), 'OLD');
  await writeFile(join(s.out, 'image.qcow2.md5'), 'OLDSUM');
  await writeFile(join(s.out, 'image.qcow2.sha256'), 'OLDSUM');
  const run = fakeRunner(writes('NEW'));
  const [r] = await writeOutputs({ ...base, formats: ['qcow2'], outputBase: s.base, rawImage: s.raw, run });
  t.is(await readFile(join(s.out, 'image.qcow2'), 'utf8'), 'NEW');
  t.deepEqual(await readdir(s.out), ['image.qcow2']);
  t.like(r, { path: join(s.out, 'image.qcow2'), format: 'qcow2', bytes: 3 });
  t.is(r!.sha256, createHash('sha256').update('NEW').digest('hex'));
});

test('checksum writes <file>.md5 and <file>.sha256 in coreutils format', async (t) => {
  const s = await setup(t);
  const run = fakeRunner(writes('abc'));
  const [r] = await writeOutputs({ ...base, checksum: true, formats: ['tar'], outputBase: s.base, treeDir: s.tree, run });
  t.is(r!.sha256, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  t.is(await readFile(join(s.out, 'image.tar.sha256'), 'utf8'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  image.tar\n');
  t.is(await readFile(join(s.out, 'image.tar.md5'), 'utf8'), '900150983cd24fb0d6963f7d28e17f72  image.tar\n');
  t.deepEqual(r!.checksumFiles, [join(s.out, 'image.tar.md5'), join(s.out, 'image.tar.sha256')]);
});

test('one failure stops later outputs; earlier complete outputs stay', async (t) => {
  const s = await setup(t);
  const run = fakeRunner(async (file, args) => {
    if (file === 'qemu-img' && args.includes('vpc')) return failsHalfway(file, args);
    return writes('OK')(file, args);
  });
  await t.throwsAsync(writeOutputs({ ...base, formats: ['raw', 'qcow2', 'vhd'], outputBase: s.base, rawImage: s.raw, run }), { message: /vhd output/ });
  t.deepEqual((await readdir(s.out)).sort(), ['image.qcow2']);
  // raw comes last and was never reached: the raw image was not moved
  t.is(await readFile(s.raw, 'utf8'), 'RAWDATA');
});

test('raw is moved into place when it is the last consumer, copied when keepRawImage', async (t) => {
  const s = await setup(t);
  const run = fakeRunner(writes('QCOW'));
  const r = await writeOutputs({ ...base, formats: ['raw', 'qcow2'], outputBase: s.base, rawImage: s.raw, run });
  t.deepEqual(r.map((o) => o.format), ['raw', 'qcow2']);
  t.is(await readFile(join(s.out, 'image.raw'), 'utf8'), 'RAWDATA');
  await t.throwsAsync(readFile(s.raw));
  t.deepEqual(run.calls.map((c) => c[0]), ['qemu-img']);

  await writeFile(s.raw, 'RAW2');
  const run2 = fakeRunner(async (_f, args) => {
    await writeFile(args[args.length - 1]!, 'RAW2');
  });
  await writeOutputs({ ...base, formats: ['raw'], outputBase: s.base, rawImage: s.raw, run: run2, keepRawImage: true });
  t.is(run2.calls[0]![0], 'cp');
  t.true(run2.calls[0]!.includes('--sparse=always'));
  t.is(await readFile(s.raw, 'utf8'), 'RAW2');
  t.is(await readFile(join(s.out, 'image.raw'), 'utf8'), 'RAW2');
});

test('an abort leaves neither a temp file nor a partial output', async (t) => {
  const s = await setup(t);
  await writeFile(join(s.out, 'image.tar'), 'OLD');
  const ac = new AbortController();
  const run = fakeRunner(async (file, args) => {
    await writeFile(target(file, args), 'PART');
    ac.abort();
    throw new DibError('E_INTERRUPTED', `interrupted while running ${file}`);
  });
  const e = await t.throwsAsync(writeOutputs({ ...base, formats: ['tar', 'squashfs'], outputBase: s.base, treeDir: s.tree, run, signal: ac.signal }));
  t.is((e as unknown as DibError).code, 'E_INTERRUPTED');
  t.deepEqual(await readdir(s.out), ['image.tar']);
  t.is(await readFile(join(s.out, 'image.tar'), 'utf8'), 'OLD');
  // tar (a copier) and squashfs (a compressor) start side by side; nothing starts after the abort
  t.true(run.calls.length <= 2);
});

test('missing inputs are E_OUTPUT with a hint', async (t) => {
  const s = await setup(t);
  const run = fakeRunner(writes('x'));
  const e1 = await t.throwsAsync(writeOutputs({ ...base, formats: ['tar'], outputBase: s.base, run }));
  t.is((e1 as unknown as DibError).code, 'E_OUTPUT');
  t.regex(e1!.message, /tar output needs the image tree/);
  const e2 = await t.throwsAsync(writeOutputs({ ...base, formats: ['qcow2'], outputBase: s.base, rawImage: join(s.dir, 'nope'), run }));
  t.regex(e2!.message, /needs the raw image/);
  const e3 = await t.throwsAsync(writeOutputs({ ...base, formats: ['qcow2'], outputBase: 'relative/image', rawImage: s.raw, run }));
  t.regex(e3!.message, /not an absolute path/);
  t.deepEqual(await writeOutputs({ ...base, formats: [], outputBase: s.base, run }), []);
  t.is(run.calls.length, 0);
});

test('the destination directory is created', async (t) => {
  const s = await setup(t);
  const run = fakeRunner(writes('T'));
  const [r] = await writeOutputs({ ...base, formats: ['tar'], outputBase: join(s.dir, 'new', 'deeper', 'img'), treeDir: s.tree, run });
  t.is(r!.path, join(s.dir, 'new', 'deeper', 'img.tar'));
  t.is(await readFile(r!.path, 'utf8'), 'T');
});

test('outputs are written side by side: one compressor beside one copier, raw after every other reader of the disk', async (t) => {
  const s = await setup(t);
  const running = new Map<string, string>();
  const overlaps: string[][] = [];
  const order: string[] = [];
  const kind = (file: string, args: readonly string[]) =>
    file === 'tar' ? (args.some((a) => a.startsWith('--use-compress-program')) ? 'tgz' : 'tar') : file === 'mksquashfs' ? 'squashfs' : file === 'qemu-img' ? (args.includes('vpc') ? 'vhd' : 'qcow2') : file;
  const run = fakeRunner(async (file, args) => {
    const k = kind(file, args);
    running.set(k, k);
    overlaps.push([...running.keys()].sort());
    order.push(`start ${k}`);
    await new Promise((r) => setTimeout(r, 40));
    // a VHD ends in its footer (dib gives it the seed's id)
    await writeFile(target(file, args), k === 'vhd' ? Buffer.concat([Buffer.from('vhd'), Buffer.from('conectix'.padEnd(512, '\0'))]) : k);
    running.delete(k);
    order.push(`end ${k}`);
  });
  const r = await writeOutputs({ ...base, formats: ['raw', 'qcow2', 'vhd', 'tar', 'tgz', 'squashfs'], outputBase: s.base, treeDir: s.tree, rawImage: s.raw, run });
  t.deepEqual(r.map((o) => o.format), ['raw', 'qcow2', 'vhd', 'tar', 'tgz', 'squashfs']);
  const cpu = new Set(['qcow2', 'tgz', 'squashfs']);
  for (const o of overlaps) {
    t.true(o.filter((k) => cpu.has(k)).length <= 1, `two compressors at once: ${o.join(' ')}`);
    t.true(o.filter((k) => !cpu.has(k)).length <= 1, `two copiers at once: ${o.join(' ')}`);
  }
  t.true(overlaps.some((o) => o.length === 2), 'some outputs were written side by side');
  // raw was moved into place (no cp), after qcow2 and vhd had read the disk
  t.false(order.includes('start cp'));
  t.is(await readFile(join(s.out, 'image.raw'), 'utf8'), 'RAWDATA');
  await t.throwsAsync(readFile(s.raw));

  // sequential: one at a time
  const s2 = await setup(t);
  overlaps.length = 0;
  await writeOutputs({ ...base, formats: ['qcow2', 'tar'], outputBase: s2.base, treeDir: s2.tree, rawImage: s2.raw, run, sequential: true });
  t.true(overlaps.every((o) => o.length === 1));
});
