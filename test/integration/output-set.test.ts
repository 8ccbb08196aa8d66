/**
 * A build's outputs are one set: the images, their checksums, `<name>.d/dib-manifests` and
 * `<name>.d/build-report.json` appear together when the build has succeeded. A build that fails
 * in cleanup (after the manifests were copied), or is interrupted or killed between two outputs,
 * leaves the previous set byte-for-byte as it was; the next run removes what a killed build left,
 * or finishes a commit that was cut short. `<name>.d` is 0700, its files 0600.
 */
import test from 'ava';
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { sweepStaleOutputs, isDibTempOutput } from '@dib/core';
import { OutputSet } from '#core/output/set.js';
import { isLocked } from '#core/cache/lock.js';
import { CLI, dib, testEnv } from '../helpers/cli.js';
import { mountsUnder } from '../helpers/mounts.js';
import { tmpDir } from '../helpers/tmp.js';

const isRoot = process.getuid?.() === 0;
const root = isRoot ? test.serial : test.skip;

/** sha256 of every file below `dir` (relative path → hash), and the modes of <name>.d. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of (await readdir(dir, { recursive: true })).map(String).sort()) {
    const p = path.join(dir, rel);
    const st = await stat(p);
    out[rel] = st.isFile() ? `${(st.mode & 0o777).toString(8)} ${createHash('sha256').update(await readFile(p)).digest('hex')}` : `dir ${(st.mode & 0o777).toString(8)}`;
  }
  return out;
}

async function elements(dir: string): Promise<string> {
  const els = path.join(dir, 'elements');
  const script = async (rel: string, text: string) => {
    await mkdir(path.dirname(path.join(els, rel)), { recursive: true });
    await writeFile(path.join(els, rel), `#!/bin/sh\n${text}\n`);
    await chmod(path.join(els, rel), 0o755);
  };
  // fails in the cleanup phase, after manifests' copy-manifests-dir (cleanup 01) has run
  await script('fail-in-cleanup/cleanup.d/99-fail', 'echo "failing on purpose"; exit 3');
  // a marker so each build's image differs
  await script('stamp/install.d/50-stamp', 'echo "$DIB_STAMP" > /etc/stamp');
  return els;
}

async function setup() {
  const dir = await tmpDir('dib-outset-');
  const els = await elements(dir);
  const out = path.join(dir, 'out');
  const base = path.join(out, 'img');
  const args = (stamp: string, extra: string[] = []) => ({
    args: ['build', '-o', base, '-t', 'tar,qcow2', '--checksum', '--work-dir', path.join(dir, 'work'), '--image-cache', path.join(dir, 'cache'), 'busybox-root', 'stamp', ...extra],
    env: { ELEMENTS_PATH: els, DIB_STAMP: stamp },
  });
  const good = args('one');
  const r = await dib(good.args, { env: good.env });
  if (r.exitCode !== 0) throw new Error(r.all);
  return { dir, out, base, args, before: await snapshot(out) };
}

root('a successful build: the set in place together, <name>.d 0700 with 0600 files', async (t) => {
  const s = await setup();
  t.deepEqual(
    Object.keys(s.before),
    ['img.d', 'img.d/build-report.json', 'img.d/dib-manifests', 'img.d/dib-manifests/dib_arguments', 'img.d/dib-manifests/dib_environment', 'img.qcow2', 'img.qcow2.md5', 'img.qcow2.sha256', 'img.tar', 'img.tar.md5', 'img.tar.sha256'],
  );
  t.is(s.before['img.d'], 'dir 700');
  t.is(s.before['img.d/dib-manifests'], 'dir 700');
  for (const f of ['img.d/build-report.json', 'img.d/dib-manifests/dib_arguments', 'img.d/dib-manifests/dib_environment']) t.regex(s.before[f]!, /^600 /, f);
  await execa('sha256sum', ['-c', 'img.tar.sha256', 'img.qcow2.sha256'], { cwd: s.out });
  // a second good build replaces the whole set
  const next = s.args('two');
  t.is((await dib(next.args, { env: next.env })).exitCode, 0);
  const after = await snapshot(s.out);
  t.not(after['img.tar'], s.before['img.tar']);
  t.not(after['img.d/build-report.json'], s.before['img.d/build-report.json']);
  t.deepEqual((await readdir(s.out)).filter(isDibTempOutput), []);
});

root('a build failing in cleanup (after the manifests were copied) leaves the previous set untouched', async (t) => {
  const s = await setup();
  const bad = s.args('two', ['fail-in-cleanup']);
  const r = await dib(bad.args, { env: bad.env });
  t.is(r.exitCode, 1);
  t.regex(r.stderr, /script cleanup\.d\/99-fail exited with status 3/);
  t.regex(r.stderr, /manifests copied to .*img\.d\/dib-manifests/);
  t.deepEqual(await snapshot(s.out), s.before);
  t.deepEqual(await mountsUnder(s.dir), []);
});

for (const sig of ['SIGINT', 'SIGKILL'] as const) {
  root(`${sig} between two outputs (tar written, qcow2 converting): the previous set untouched${sig === 'SIGKILL' ? '; the next run removes what was left' : ''}`, async (t) => {
    const s = await setup();
    // outputs are written side by side and a qcow2 of this tiny disk takes a blink: a qemu-img
    // whose conversions hang makes sure the signal comes while one output is done and one is not
    const marker = `dib-test-hung-qemu-${process.pid}-${sig}`;
    const shim = await tmpDir('dib-outset-shim-');
    await writeFile(path.join(shim, 'qemu-img'), `#!/bin/bash\nif [ "$1" = convert ]; then exec -a ${marker} sleep 600; fi\nexec /usr/bin/qemu-img "$@"\n`, { mode: 0o755 });
    t.teardown(() => execa('pkill', ['-9', '-f', marker], { reject: false }).then(() => undefined));
    const next = s.args('two');
    const child = spawn(process.execPath, [CLI, ...next.args], { env: testEnv({ ...process.env, ...next.env, PATH: `${shim}:${process.env.PATH}` }), stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d) => (log += d));
    child.stderr.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code, signal) => r(code ?? (signal ? 128 + 9 : null))));
    // wait until the tar is staged with its checksums and qemu-img has started on the qcow2
    const t0 = Date.now();
    let staged: string[] = [];
    while (Date.now() - t0 < 120_000) {
      const dirs = (await readdir(s.out)).filter(isDibTempOutput);
      staged = dirs.length ? await readdir(path.join(s.out, dirs[0]!)).catch(() => []) : [];
      const converting = (await execa('pgrep', ['-f', marker], { reject: false })).stdout !== '';
      if (converting && staged.some((n) => n.endsWith('img.tar.sha256'))) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    t.not((await execa('pgrep', ['-f', marker], { reject: false })).stdout, '', `qemu-img is converting\n${log}`);
    t.true(staged.some((n) => n.endsWith('img.tar.sha256')), `staged: ${staged.join(' ')}\n${log}`);
    child.kill(sig);
    const code = await exited;
    t.is(code, sig === 'SIGINT' ? 130 : 137, log.split('\n').slice(-20).join('\n'));
    if (sig === 'SIGINT') t.is((await execa('pgrep', ['-f', marker], { reject: false })).stdout, '', 'the conversion was stopped');
    if (sig === 'SIGKILL') {
      // what the killed build left: its staging dir, nobody holding its lock
      const left = (await readdir(s.out)).filter(isDibTempOutput);
      t.is(left.length, 1);
      // the build's sandbox dies with dib, a moment after it (the kernel tears it down): then the lock is free
      const t1 = Date.now();
      while ((await isLocked(path.join(s.out, left[0]!))) && Date.now() - t1 < 10_000) await new Promise((r) => setTimeout(r, 50));
      const swept = await sweepStaleOutputs(s.out);
      t.deepEqual(swept, [`removed stale ${path.join(s.out, left[0]!)}`]);
      // and the sandbox took the (held) qemu-img conversion with it
      t.is((await execa('pgrep', ['-f', marker], { reject: false })).exitCode, 1, 'no qemu-img left');
    }
    t.deepEqual((await readdir(s.out)).filter(isDibTempOutput), []);
    t.deepEqual(await snapshot(s.out), s.before);
  });
}

test('a commit cut short is finished by the next sweep; a live build is never swept', async (t) => {
  const dir = await tmpDir('dib-outset-');
  const out = path.join(dir, 'out');
  await mkdir(path.join(out, 'img.d/dib-manifests'), { recursive: true });
  await writeFile(path.join(out, 'img.raw'), 'old raw');
  await writeFile(path.join(out, 'img.qcow2'), 'old qcow2');
  await writeFile(path.join(out, 'img.d/dib-manifests/old'), 'old manifest');

  const set = new OutputSet(undefined, out);
  await writeFile(await set.stage(path.join(out, 'img.raw')), 'new raw');
  await writeFile(await set.stage(path.join(out, 'img.qcow2')), 'new qcow2');
  const m = await set.stage(path.join(out, 'img.d/dib-manifests'));
  await mkdir(m);
  await writeFile(path.join(m, 'new'), 'new manifest');
  // a concurrent run's sweep leaves a live build's staging alone
  t.deepEqual(await sweepStaleOutputs(out), []);

  // what a commit killed after its first rename leaves: the journal and the rest, unlocked
  const stagingName = (await readdir(out)).find(isDibTempOutput)!;
  const staging = path.join(out, stagingName);
  const names = (await readdir(staging)).sort();
  const items = names.map((n) => ({ from: path.join(staging, n), to: path.join(out, n.replace(/^\d+-/, n.endsWith('dib-manifests') ? 'img.d/' : '')) }));
  await writeFile(path.join(staging, 'commit.json'), JSON.stringify({ items, remove: [], dirs: [] }));
  await execa('mv', [items[0]!.from, items[0]!.to]);
  // the dead build's lock is gone with it: simulate by dropping ours without cleaning up
  await (set as unknown as { stagings: Map<string, { lock: { release(): Promise<void> } }> }).stagings.values().next().value!.lock.release();

  const swept = await sweepStaleOutputs(out);
  t.deepEqual(swept, [`finished the interrupted commit of ${staging}`]);
  t.is(await readFile(path.join(out, 'img.raw'), 'utf8'), 'new raw');
  t.is(await readFile(path.join(out, 'img.qcow2'), 'utf8'), 'new qcow2');
  t.deepEqual(await readdir(path.join(out, 'img.d/dib-manifests')), ['new']);
  t.deepEqual((await readdir(out)).filter(isDibTempOutput), []);
});
