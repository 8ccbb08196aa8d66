/**
 * An output format shipped as an element (plugins/cpio), for real: a busybox-root build with
 * `-t cpio` writes `<name>.cpio.gz`, which cpio lists and extracts to the tree tar holds
 * (owners, modes, links, proc and sys kept empty); two builds with one SOURCE_DATE_EPOCH give
 * one sha256; without the element `-t cpio` stops before any work naming the element to add;
 * `dib doctor` lists cpio's host tools.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { dib } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const isRoot = process.getuid?.() === 0;
const maybe = isRoot ? test.serial : test.skip;

async function listing(cmd: string, args: string[], cwd: string): Promise<string[]> {
  return (await execa(cmd, args, { cwd, shell: false })).stdout.split('\n').filter(Boolean);
}

maybe('-t cpio with the cpio element: a newc archive of the tree, extractable, reproducible', async (t) => {
  const dir = await tmpDir('dib-cpio-');
  const work = path.join(dir, 'work');
  const shas: string[] = [];
  for (const pass of [1, 2]) {
    const r = await dib(['build', '-o', 'img', '-t', 'cpio,tar', '--work-dir', work, '--source-date-epoch', '1700000000', 'busybox-root', 'cpio'], { cwd: dir });
    t.is(r.exitCode, 0, r.all.split('\n').slice(-20).join('\n'));
    const report = await fs.readJson(path.join(dir, 'img.d', 'build-report.json'));
    const cpio = report.outputs.find((o: { format: string }) => o.format === 'cpio');
    t.is(cpio.path, path.join(dir, 'img.cpio.gz'));
    shas.push(cpio.sha256);
  }
  t.log(`cpio sha256: ${shas.join('  ')}`);
  t.is(shas[0], shas[1]);
  const archive = path.join(dir, 'img.cpio.gz');
  // a gzip header without name or time
  const head = (await fs.readFile(archive)).subarray(0, 10);
  t.deepEqual([head[0], head[1], head[3]], [0x1f, 0x8b, 0], 'no FNAME flag');
  t.is(head.readUInt32LE(4), 0, 'no mtime in the gzip header');

  // the same members as the tar, sorted, parents first
  const names = (await execa('sh', ['-c', `gzip -dc ${archive} | cpio -it --quiet`])).stdout.split('\n');
  t.is(names[0], '.');
  t.deepEqual([...names].sort(), names, 'sorted');
  const tarNames = (await listing('tar', ['-tf', path.join(dir, 'img.tar')], dir)).map((n) => (n === './' ? '.' : n.replace(/^\.\//, '').replace(/\/$/, '')));
  t.deepEqual([...names].sort(), [...tarNames].sort());
  t.true(names.includes('proc') && !names.some((n) => n.startsWith('proc/')), 'proc kept empty');

  // extracted, it is the tree: contents, modes, owners, links
  const out = path.join(dir, 'extracted');
  await fs.ensureDir(out);
  await execa('sh', ['-c', `gzip -dc ${archive} | cpio -idm --quiet --no-absolute-filenames`], { cwd: out });
  const fromTar = path.join(dir, 'from-tar');
  await fs.ensureDir(fromTar);
  await execa('tar', ['-xf', path.join(dir, 'img.tar'), '-C', fromTar, '--numeric-owner']);
  const diff = await execa('diff', ['-r', '--no-dereference', fromTar, out], { reject: false });
  t.is(diff.exitCode, 0, diff.stdout);
  for (const p of ['bin/busybox', 'etc/fstab', 'tmp']) {
    const [a, b] = await Promise.all([fs.lstat(path.join(fromTar, p)), fs.lstat(path.join(out, p))]);
    t.is(b.mode, a.mode, `${p} mode`);
    t.deepEqual([b.uid, b.gid], [a.uid, a.gid], `${p} owner`);
    t.is(b.mtimeMs, a.mtimeMs, `${p} mtime`);
  }
  t.is(await fs.readlink(path.join(out, 'bin/sh')), await fs.readlink(path.join(fromTar, 'bin/sh')));
  // no file time after the epoch (cpio -m restores files' times, not directories' or links')
  t.is((await execa('find', [out, '-type', 'f', '-newermt', '@1700000000'])).stdout, '');
});

maybe('-t cpio without the element stops before any work, naming the element; doctor lists its tools', async (t) => {
  const dir = await tmpDir('dib-cpio-missing-');
  const work = path.join(dir, 'work');
  const r = await dib(['build', '-o', 'img', '-t', 'cpio', '--work-dir', work, 'busybox-root'], { cwd: dir });
  t.is(r.exitCode, 2, r.all);
  t.regex(r.stderr, /^dib: error \[E_OUTPUT_TYPE\] output type 'cpio' is provided by element cpio \(@dib\/element-cpio\), which is not part of this build\n {2}hint: add cpio to the elements/);
  t.false(r.stderr.includes('Running phase'), 'nothing ran');
  t.false(await fs.pathExists(work), 'no work dir was made');
  const typo = await dib(['build', '-o', 'img', '-t', 'cpoi', 'busybox-root', 'cpio'], { cwd: dir });
  t.is(typo.exitCode, 2);
  t.regex(typo.stderr, /unknown output type 'cpoi' \(did you mean 'cpio'\?\)/);
  // a config's types are checked the same way, once the elements are known
  await fs.writeJson(path.join(dir, '.dibrc.json'), { elements: ['busybox-root', 'cpio'], types: ['cpio'] });
  const doctor = await dib(['doctor', '--json'], { cwd: dir });
  const report = JSON.parse(doctor.stdout) as { types: string[]; tools: Array<{ command: string; neededBy: string[] }> };
  t.deepEqual(report.types, ['cpio']);
  t.deepEqual(report.tools.find((x) => x.command === 'cpio')?.neededBy, ['cpio output']);
});
