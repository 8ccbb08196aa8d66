/**
 * Every phase for real, in a real chroot, on the tiny busybox root: ordering across elements,
 * chroot vs host phases, the environment, the outputs, the report, and the cleanup.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { dib, fixtureElement, testEnv } from '../helpers/cli.js';
import { mountsUnder, mountsUnderSeenBy } from '../helpers/mounts.js';
import { MARKER_VAR, newMarker, processesWithMarker } from '../helpers/fault.js';
import { tmpDir } from '../helpers/tmp.js';

test('busybox-root to tar runs every phase in order and leaves nothing behind', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const t0 = Date.now();
  const r = await dib(['build', '-o', 'x', '-t', 'tar,raw', '--work-dir', work, '--logfile', 'build.log', 'busybox-root', fixtureElement('probe')], { cwd: dir });
  const seconds = (Date.now() - t0) / 1000;
  t.is(r.exitCode, 0, r.all);
  // about a second on an idle machine; the bound leaves room for CI running other suites beside it
  t.log(`busybox-root build with tar and raw outputs: ${seconds.toFixed(1)} s`);
  t.true(seconds < 30, `took ${seconds} s`);
  // the tarball holds the tree
  const list = (await execa('tar', ['-tf', path.join(dir, 'x.tar')])).stdout.split('\n');
  t.true(list.includes('./bin/busybox'));
  t.true(list.includes('./etc/fstab'));
  t.false(list.some((l) => l.startsWith('./proc/') && l !== './proc/'));
  const probe = (await execa('tar', ['-xOf', path.join(dir, 'x.tar'), './probe.log'])).stdout.split('\n');
  const phases = probe.filter((l) => !l.startsWith('early')).map((l) => l.split(' ')[0]);
  t.deepEqual(phases, ['root', 'extra-data', 'pre-install', 'install', 'post-install', 'post-root', 'block-device', 'pre-finalise', 'finalise', 'cleanup']);
  // stage 5 ran before stage 60 within install
  t.true(probe.indexOf('early-install') < probe.findIndex((l) => l.startsWith('install ')));
  for (const l of probe.filter((x) => / where=chroot /.test(x))) {
    t.regex(l, /proc=yes pts=yes path=\/usr\/local\/sbin:\/usr\/local\/bin:\/usr\/sbin:\/usr\/bin:\/sbin:\/bin home=\/root/);
  }
  t.regex(probe[0]!, /^root element=probe tap=probe-root where=host probe=from-probe image=x host=yes/);
  // the raw output is the plain root filesystem (DIB's default layout without partitions)
  const fsType = (await execa('blkid', ['-o', 'value', '-s', 'TYPE', path.join(dir, 'x.raw')], { reject: false })).stdout.trim();
  t.is(fsType, 'ext4');
  // report next to the image
  const report = await fs.readJson(path.join(dir, 'x.d', 'build-report.json'));
  t.deepEqual(report.phases.map((p: { phase: string }) => p.phase), ['root', 'extra-data', 'pre-install', 'install', 'post-install', 'post-root', 'block-device', 'pre-finalise', 'finalise', 'cleanup', 'images']);
  t.true(report.outputs.some((o: { format: string; sha256: string }) => o.format === 'tar' && /^[0-9a-f]{64}$/.test(o.sha256)));
  // log file has DIB-style timestamped lines and the timing table printed at the end
  const log = await fs.readFile(path.join(dir, 'build.log'), 'utf8');
  t.regex(log, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \| /m);
  t.regex(r.stderr, /Phase timings:/);
  // nothing left: no mounts, an empty work dir
  t.deepEqual(await mountsUnder(work), []);
  t.deepEqual(await fs.readdir(work), []);
});

test('a failing tap names phase, element and tap, exits non-zero and leaves no mounts, output or work dir', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const r = await dib(['build', '-o', 'y', '-t', 'tar', '--work-dir', work, 'busybox-root', fixtureElement('fail-at')], { cwd: dir, env: { DIB_TEST_FAIL_PHASE: 'install' } });
  t.is(r.exitCode, 1);
  t.regex(r.stderr, /dib: error \[E_TAP_FAILED\] install phase, element fail-at, tap fail-here: chroot: echo about to fail; exit 3 exited with status 3/);
  t.regex(r.stderr, /\| about to fail/);
  t.regex(r.stderr, /fail-at: about to fail/);
  t.false(r.stderr.includes('    at '), 'no stack trace');
  t.deepEqual(await mountsUnder(work), []);
  t.deepEqual(await fs.readdir(work), []);
  t.false(await fs.pathExists(path.join(dir, 'y.tar')));
});

test('SIGINT mid-phase kills the chroot process, unmounts, removes the work dir and writes no output; the mounts never reach the host', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  const { CLI } = await import('../helpers/cli.js');
  // the build's processes are told from other sessions' by a marker in their environment
  const marker = newMarker();
  const child = execa('node', [CLI, 'build', '-o', 'z', '-t', 'tar', '--work-dir', work, 'busybox-root', fixtureElement('sleep-in')], { cwd: dir, reject: false, all: true, env: testEnv({ [MARKER_VAR]: marker }) });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the build never reached the sleep')), 60_000);
    child.all!.on('data', (d: Buffer) => {
      if (d.toString().includes('SLEEPING-NOW')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  // the chroot's mounts exist in the build's sandbox, and never in the host's mount table
  t.deepEqual(await mountsUnder(work), [], 'no build mount in the host table');
  const sleeper = (await processesWithMarker(marker)).find((p) => p.cmd === 'sleep 120')?.pid;
  t.truthy(sleeper);
  t.true((await mountsUnderSeenBy(sleeper!, work)).some((m) => m.endsWith('/mnt/dev/pts')), 'the chroot mounts are there, in the sandbox');
  child.kill('SIGINT');
  const r = await child;
  t.is(r.exitCode, 130, String(r.all));
  t.regex(String(r.all), /E_INTERRUPTED/);
  t.deepEqual(await mountsUnder(work), []);
  t.deepEqual(await fs.readdir(work), []);
  t.false(await fs.pathExists(path.join(dir, 'z.tar')));
  // no sleep left running in a chroot
  t.deepEqual(await processesWithMarker(marker), []);
});

test('dib plan lists the ordered taps with their elements', async (t) => {
  const dir = await tmpDir();
  const r = await dib(['plan', 'busybox-root', fixtureElement('probe')], { cwd: dir });
  t.is(r.exitCode, 0, r.all);
  const lines = r.stdout.split('\n');
  const install = lines.slice(lines.indexOf('install') + 1, lines.indexOf('post-install'));
  const early = install.findIndex((l) => /\s5\s+early\s+probe/.test(l));
  const late = install.findIndex((l) => /\s60\s+probe-install\s+probe/.test(l));
  t.true(early >= 0 && late > early, r.stdout);
  t.regex(r.stdout, /^root\n\s+10\s+busybox-root\s+busybox-root/m);
});

test('not root → E_NOT_ROOT; bad element → did you mean; bad option → usage, exit 2', async (t) => {
  const dir = await tmpDir();
  const bad = await dib(['build', '-t', 'tar', 'busybox-rot'], { cwd: dir });
  t.is(bad.exitCode, 2, "an unknown element is a config error");
  t.regex(bad.stderr, /Element 'busybox-rot' \(named on the command line\) not found \(did you mean 'busybox-root'\?\)/);
  const opt = await dib(['build', '--chcksum', 'busybox-root'], { cwd: dir });
  t.is(opt.exitCode, 2);
  t.regex(opt.stderr, /unknown option --chcksum \(did you mean '--checksum'\?\)/);
  const nobody = await dib(['build', '-t', 'tar', 'busybox-root'], { cwd: '/', uid: 65534, gid: 65534 } as never);
  t.is(nobody.exitCode, 1);
  t.regex(nobody.stderr, /E_NOT_ROOT/);
});

test('--json: a qcow2 conversion reports its progress in percent', async (t) => {
  const dir = await tmpDir();
  const r = await dib(['build', '--json', '-o', 'p', '-t', 'qcow2', '--work-dir', path.join(dir, 'work'), 'busybox-root'], { cwd: dir });
  t.is(r.exitCode, 0, r.stderr);
  const events = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; label?: string; done?: number; total?: number });
  const progress = events.filter((e) => e.type === 'progress' && e.label === 'qcow2 conversion');
  t.true(progress.length > 0);
  t.true(progress.every((e) => e.total === 100 && e.done! >= 0 && e.done! <= 100));
  t.is(progress[progress.length - 1]!.done, 100);
});

test('a bad block-device config stops the build before any work, naming the entry', async (t) => {
  const dir = await tmpDir();
  const work = path.join(dir, 'work');
  await fs.writeJson(path.join(dir, '.dibrc.json'), {
    elements: ['busybox-root'],
    types: ['raw'],
    blockDevice: [{ local_loop: { name: 'image0' } }, { partitioning: { base: 'image0', label: 'gpt', partitions: [{ name: 'root', size: '12 parsecs', mkfs: { type: 'ext4', mount: { mount_point: '/' } } }] } }],
  });
  const r = await dib(['build', '--work-dir', work], { cwd: dir });
  t.is(r.exitCode, 2, "a bad block-device config is a config error");
  t.regex(r.stderr, /\[E_BLOCK_DEVICE_CONFIG\] config key blockDevice: blockDevice\[1\]\.partitioning\.partitions\[0\]\.size: '12 parsecs': unknown unit/);
  t.false(r.stderr.includes('Running phase root'), 'no phase ran');
  t.false(await fs.pathExists(work), 'no work dir was made');
});
