/**
 * `dib diff` and `dib build --check-reproducible` through the CLI on real busybox-root builds
 * (a tar and a GPT raw disk): a copy compares identical; a copy with one file or field changed
 * (without mounting: a tar header rewritten, sfdisk --disk-id, debugfs -w) names exactly that;
 * a byte no field explains is located; two builds name their first differing fields; bad
 * input exits 2 with one line. Builds without SOURCE_DATE_EPOCH are not reproducible, so the
 * check fails, naming why (test/integration/reproducible.test.ts has the builds that are).
 */
import test from 'ava';
import { execa } from 'execa';
import { copyFile, readFile, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CLI, dib } from '../helpers/cli.js';
import { fixChecksum } from '../helpers/tar-writer.js';
import { tmpDir } from '../helpers/tmp.js';

const isRoot = process.getuid?.() === 0;
const maybe = isRoot ? test.serial : test.skip;

interface Diff {
  identical: boolean;
  differences: Array<{ where: string; path?: string; field: string; a?: string; b?: string }>;
}

async function diffJson(a: string, b: string): Promise<{ exitCode: number; result: Diff; stderr: string }> {
  const r = await dib(['diff', '--json', a, b]);
  return { exitCode: r.exitCode, result: JSON.parse(r.stdout || '{}') as Diff, stderr: r.stderr };
}
const brief = (r: Diff) => r.differences.map((d) => `${d.where}${d.path ? ` ${d.path}` : ''}: ${d.field}`);

let built: Promise<{ dir: string; tar: string; raw: string; second: { tar: string; raw: string } }> | undefined;
/** Two busybox builds, tar + GPT raw (BIOS boot partition, root), made once for the file, with two seeds. */
function builds() {
  built ??= (async () => {
    const dir = await tmpDir('dib-diff-cli-');
    for (const name of ['one', 'two']) {
      const r = await dib(['build', '-o', name, '-t', 'tar,raw', '--seed', name, '--work-dir', dir, 'busybox-root', 'block-device-gpt'], { cwd: dir });
      if (r.exitCode !== 0) throw new Error(r.all.split('\n').slice(-30).join('\n'));
    }
    return { dir, tar: path.join(dir, 'one.tar'), raw: path.join(dir, 'one.raw'), second: { tar: path.join(dir, 'two.tar'), raw: path.join(dir, 'two.raw') } };
  })();
  return built;
}

maybe('a copy is identical (exit 0); a tar with one file or header field changed names exactly that', async (t) => {
  const { dir, tar } = await builds();
  const copy = path.join(dir, 'copy.tar');
  await copyFile(tar, copy);
  const same = await dib(['diff', tar, copy]);
  t.is(same.exitCode, 0, same.all);
  t.regex(same.stdout, /^dib diff: identical \(sha256 [0-9a-f]{64}\)/);

  // one byte of /etc/hostname's content
  const buf = await readFile(tar);
  const at = buf.indexOf('./etc/hostname\0');
  t.true(at >= 0 && at % 512 === 0, 'found the header of ./etc/hostname');
  const content = Buffer.from(buf);
  content[at + 512] ^= 0x20;
  await writeFile(copy, content);
  const c = await diffJson(tar, copy);
  t.is(c.exitCode, 1);
  t.deepEqual(brief(c.result), ['files /etc/hostname: content']);

  // its mode, with the header checksum made right again
  const mode = Buffer.from(buf);
  mode.write('0000600\0', at + 100, 'latin1');
  fixChecksum(mode.subarray(at, at + 512));
  await writeFile(copy, mode);
  const m = await diffJson(tar, copy);
  t.deepEqual(m.result.differences, [{ where: 'files', path: '/etc/hostname', field: 'mode', a: '0644', b: '0600' }]);

  // the readable report says the same
  const text = await dib(['diff', tar, copy]);
  t.is(text.exitCode, 1);
  t.regex(text.stdout, /^dib diff: A and B differ \(1 difference\)$/m);
  t.regex(text.stdout, /^ {2}files \/etc\/hostname: mode: 0644 → 0600$/m);
});

maybe('a raw disk with the disk GUID, one inode or one unused byte changed names exactly that', async (t) => {
  const { dir, raw } = await builds();
  const pt = JSON.parse((await execa('sfdisk', ['--json', raw])).stdout) as { partitiontable: { partitions: Array<{ start: number; name: string; size: number }> } };
  const rootPart = pt.partitiontable.partitions.find((p) => p.name === 'root')!;
  const root = rootPart.start * 512;
  const n = pt.partitiontable.partitions.indexOf(rootPart) + 1;

  const guid = path.join(dir, 'guid.raw');
  await copyFile(raw, guid);
  await execa('sfdisk', ['--disk-id', guid, '01234567-89AB-CDEF-0123-456789ABCDEF']);
  const g = await diffJson(raw, guid);
  t.is(g.exitCode, 1);
  t.deepEqual(brief(g.result), ['partition table: disk identifier']);
  t.is(g.result.differences[0]!.b, '01234567-89AB-CDEF-0123-456789ABCDEF');

  const inode = path.join(dir, 'inode.raw');
  await copyFile(raw, inode);
  await execa('debugfs', ['-w', '-R', 'sif /etc/hostname uid 4242', `${inode}?offset=${root}`]);
  const i = await diffJson(raw, inode);
  t.deepEqual(i.result.differences, [{ where: `partition ${n} (root) ext4`, path: '/etc/hostname', field: 'owner', a: '0:0', b: '4242:0' }]);

  // a byte in the free space of the root filesystem: no field explains it, the offset is named
  const free = path.join(dir, 'free.raw');
  await copyFile(raw, free);
  const offset = root + rootPart.size * 512 - 4096 * 64;
  const fh = await import('node:fs/promises').then((f) => f.open(free, 'r+'));
  await fh.write(Buffer.from([0xcc]), 0, 1, offset);
  await fh.close();
  const f = await diffJson(raw, free);
  t.deepEqual(f.result.differences, [{ where: 'disk image', path: `offset ${offset} (partition ${n}, byte ${offset - root} of it)`, field: 'first differing byte', a: '0x00', b: '0xcc' }]);
});

maybe('two builds with two seeds: the first differing fields are the disk and filesystem identifiers', async (t) => {
  const { raw, tar, second } = await builds();
  const d = await diffJson(raw, second.raw);
  t.is(d.exitCode, 1);
  const fields = brief(d.result);
  t.is(fields[0], 'partition table: disk identifier');
  for (const f of ['partition 1 (BSP): UUID', 'partition 2 (root): UUID', 'partition 2 (root) ext4: Filesystem UUID', 'partition 2 (root) ext4: Directory Hash Seed', 'partition 2 (root) ext4: Filesystem created']) t.true(fields.includes(f), f);
  const text = await dib(['diff', '--max', '6', raw, second.raw]);
  t.log(text.stdout);
  t.regex(text.stdout, /^ {2}partition table: disk identifier: [0-9A-F-]+ → [0-9A-F-]+$/m);
  const tarDiff = await diffJson(tar, second.tar);
  t.true(tarDiff.result.differences.every((x) => x.field === 'mtime' || x.path?.startsWith('/etc/dib-manifests/')), JSON.stringify(tarDiff.result.differences.filter((x) => x.field !== 'mtime').slice(0, 5)));
});

maybe('bad input: exit 2 and one line naming the input and the fix', async (t) => {
  const { dir, tar } = await builds();
  const missing = await dib(['diff', tar, path.join(dir, 'nope.qcow2')]);
  t.is(missing.exitCode, 2);
  t.regex(missing.stderr, /^dib: error \[E_DIFF_INPUT\] B: .*nope\.qcow2: no such file or directory\n {2}hint: /);
  const notes = path.join(dir, 'notes.txt');
  await writeFile(notes, 'not an image\n');
  const unknown = await dib(['diff', notes, tar]);
  t.is(unknown.exitCode, 2);
  t.regex(unknown.stderr, /^dib: error \[E_DIFF_INPUT\] A: .*notes\.txt: unknown format/);
  const usage = await dib(['diff', tar]);
  t.is(usage.exitCode, 2);
  t.regex(usage.stderr, /\[E_USAGE\] dib diff takes two inputs, not 1/);
  // a damaged archive is bad input too, and no temporary work dir is left behind
  const cut = path.join(dir, 'cut.tar');
  await writeFile(cut, (await readFile(tar)).subarray(0, 100_000));
  const work = await tmpDir('dib-diff-work-');
  const damaged = await dib(['diff', '--work-dir', work, tar, cut]);
  t.is(damaged.exitCode, 2);
  t.regex(damaged.stderr, /\[E_DIFF_INPUT\] B: .*cut\.tar: truncated/);
  t.deepEqual(await readdir(work), []);
  // a damaged filesystem inside a disk image (its inode table overwritten) is bad input, not a crash
  const { raw } = await builds();
  const pt = JSON.parse((await execa('sfdisk', ['--json', raw])).stdout) as { partitiontable: { partitions: Array<{ start: number; name: string }> } };
  const root = pt.partitiontable.partitions.find((p) => p.name === 'root')!.start * 512;
  const broken = path.join(dir, 'broken.raw');
  await copyFile(raw, broken);
  const fh = await import('node:fs/promises').then((f) => f.open(broken, 'r+'));
  await fh.write(Buffer.alloc(600 * 1024, 0x5a), 0, 600 * 1024, root + 300 * 1024);
  await fh.close();
  const bad = await dib(['diff', raw, broken]);
  t.is(bad.exitCode, 2, bad.all);
  t.regex(bad.stderr, /^dib: error \[E_DIFF_INPUT\] B: .*broken\.raw: partition 2 \(root\): .*\n {2}hint: .*(e2fsck|fsck)/);
});

maybe('SIGINT while a qcow2 is being converted: exit 130, the work dir is removed, no tool left running', async (t) => {
  const { dir, raw } = await builds();
  const q1 = path.join(dir, 'a.qcow2');
  const q2 = path.join(dir, 'b.qcow2');
  await execa('qemu-img', ['convert', '-O', 'qcow2', raw, q1]);
  await execa('qemu-img', ['convert', '-O', 'qcow2', '-o', 'cluster_size=4096', raw, q2]);
  // a qemu-img whose conversions hang, so that the signal surely comes during one
  const marker = `dib-test-slow-qemu-${process.pid}`;
  const shim = await tmpDir('dib-diff-shim-');
  await writeFile(path.join(shim, 'qemu-img'), `#!/bin/bash\nif [ "$1" = convert ]; then exec -a ${marker} sleep 600; fi\nexec /usr/bin/qemu-img "$@"\n`, { mode: 0o755 });
  const work = await tmpDir('dib-diff-work-');
  const child = execa('node', [CLI, 'diff', '--work-dir', work, q1, q2], { reject: false, env: { PATH: `${shim}:${process.env.PATH}` } });
  for (let i = 0; i < 200 && !(await execa('pgrep', ['-f', marker], { reject: false })).stdout; i++) await new Promise((r) => setTimeout(r, 100));
  t.not((await readdir(work)).length, 0, 'the conversion started in the work dir');
  child.kill('SIGINT');
  const r = await child;
  t.is(r.exitCode, 130, String(r.stderr));
  t.regex(String(r.stderr), /\[E_INTERRUPTED\]/);
  t.deepEqual(await readdir(work), []);
  t.is((await execa('pgrep', ['-f', marker], { reject: false })).stdout, '');
});

maybe('--check-reproducible builds twice at the same path and fails naming the first differences; the first build is kept', async (t) => {
  const dir = await tmpDir('dib-repro-');
  const r = await dib(['build', '-o', 'img', '-t', 'tar', '--check-reproducible', 'busybox-root'], { cwd: dir });
  t.is(r.exitCode, 1, r.all.split('\n').slice(-20).join('\n'));
  t.regex(r.all, /--check-reproducible: build 1 of 2/);
  t.regex(r.all, /--check-reproducible: build 2 of 2/);
  t.regex(r.all, /--check-reproducible: tar: the two builds differ/);
  t.regex(r.stderr, /dib: error \[E_NOT_REPRODUCIBLE\] two builds of .*img differ: tar \(\d+ differences, first: files \/ mtime\)/);
  t.regex(r.stderr, /hint: these builds did not ask for reproducible output: set SOURCE_DATE_EPOCH .*; the first build is kept in .*\.img\.first-build; compare with dib diff /);
  t.true(existsSync(path.join(dir, '.img.first-build', 'img.tar')));
  t.true(existsSync(path.join(dir, 'img.tar')));
  t.true(existsSync(path.join(dir, 'img.d', 'build-report.json')));
  // only mtimes differ: both builds wrote to the same path, so no path recorded in the image differs
  const d = await diffJson(path.join(dir, '.img.first-build', 'img.tar'), path.join(dir, 'img.tar'));
  t.deepEqual([...new Set(d.result.differences.map((x) => x.field))], ['mtime']);
});
