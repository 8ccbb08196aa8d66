/**
 * Fault injection beyond the phase × fault matrix (fault-phases.test.ts), each on a real
 * busybox-root build: promises that never settle with nothing else pending (a tap, the config),
 * an exception thrown from a timer, daemons left by host and chroot scripts, a signal while
 * waiting for a held cache lock, a signal during a qemu-img conversion, the second signal, the
 * chroot's private /dev and read-only hooks tree, the DIB_NO_SANDBOX fallback and a host where
 * namespaces cannot be made.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { isDibTempOutput } from '@dib/core';
import { CLI, REPO, dib, fixtureElement, testEnv } from '../helpers/cli.js';
import { MARKER_VAR, leftovers, newMarker, pollUntil, processesWithMarker, startDib, stopWith, type RunningDib } from '../helpers/fault.js';
import { mountsUnder } from '../helpers/mounts.js';
import { tmpDir, writeTree } from '../helpers/tmp.js';

const root = process.getuid?.() === 0 ? test : test.skip;
const STACK = /^\s+at .*\(.*:\d+:\d+\)$/m;

async function caseDir() {
  const dir = await tmpDir('dib-fault-case-');
  const work = path.join(dir, 'work');
  await fs.ensureDir(work);
  return { dir, work, marker: newMarker() };
}

function buildArgs(work: string, ...elements: string[]): string[] {
  return ['build', '-o', 'x', '-t', 'tar', '--work-dir', work, 'busybox-root', ...elements];
}

root('a tap whose promise never settles, with nothing else pending: E_STALLED naming it, exit 1, cleaned up (was: exit 0, no image)', async (t) => {
  const { dir, work, marker } = await caseDir();
  const r = await dib(buildArgs(work, fixtureElement('fault-tap')), { cwd: dir, env: { [MARKER_VAR]: marker, DIB_FAULT_PHASE: 'install', DIB_FAULT_KIND: 'stall' } });
  t.is(r.exitCode, 1, r.all);
  t.regex(r.stderr, /dib: error \[E_STALLED\] install phase, element fault-tap, tap fault-stall: its promise never settled, and nothing else was left to run/);
  t.false(STACK.test(r.all));
  t.deepEqual(await leftovers(dir, work, marker), []);
  t.false(await fs.pathExists(path.join(dir, 'x.tar')));
});

root('SIGTERM while a tap never settles and a timer keeps the event loop busy (no tapTimeout): stops within 5 s (was: hung forever)', async (t) => {
  const { dir, work, marker } = await caseDir();
  const run = startDib(buildArgs(work, fixtureElement('fault-tap')), { cwd: dir, env: { [MARKER_VAR]: marker, DIB_FAULT_PHASE: 'finalise', DIB_FAULT_KIND: 'tap' } });
  await run.waitFor('FAULT-READY tap');
  await new Promise((r) => setTimeout(r, 500));
  const { seconds, ...r } = await stopWith(run, 'SIGTERM');
  t.is(r.exitCode, 143, run.output().slice(-3000));
  t.true(seconds <= 5, `stopped in ${seconds.toFixed(1)} s`);
  t.deepEqual(await leftovers(dir, work, marker), []);
});

root('a config exporting a promise that never settles: E_STALLED naming the config load, exit 1 (was: exit 0)', async (t) => {
  const { dir, work } = await caseDir();
  await fs.writeFile(path.join(dir, 'dib.config.mjs'), 'export default new Promise(() => {});\n');
  const r = await dib(['build', '--work-dir', work], { cwd: dir });
  t.is(r.exitCode, 1, r.all);
  t.regex(r.stderr, /\[E_STALLED\] loading the config \(searched in .*\): its promise never settled/);
  t.deepEqual(await fs.readdir(work), []);
  // the other commands do not exit 0 on it either
  const plan = await dib(['plan'], { cwd: dir });
  t.is(plan.exitCode, 1, plan.all);
  t.regex(plan.stderr, /\[E_STALLED\] dib plan: a promise never settled/);
});

root('an exception thrown from a timer in element code: E_UNCAUGHT naming the running tap, cleanup, no stack trace', async (t) => {
  const { dir, work, marker } = await caseDir();
  const r = await dib(buildArgs(work, fixtureElement('fault-tap')), { cwd: dir, env: { [MARKER_VAR]: marker, DIB_FAULT_PHASE: 'post-install', DIB_FAULT_KIND: 'uncaught' } });
  t.is(r.exitCode, 1, r.all);
  t.regex(r.stderr, /dib: error \[E_UNCAUGHT\] post-install phase, element fault-tap, tap fault-uncaught: uncaught exception in element code: boom from a timer/);
  t.false(STACK.test(r.all), 'no raw stack trace');
  t.regex(r.stderr, /Phase timings:/, 'the build ended normally, with its report');
  t.deepEqual(await leftovers(dir, work, marker), []);
});

root('daemons started by a host-phase script and by a chroot script are named and killed when their script ends; the build goes on and succeeds', async (t) => {
  const { dir, work, marker } = await caseDir();
  const els = path.join(dir, 'elements');
  await writeTree(els, {
    // a host phase and a chroot phase each start a daemon that holds the script's output pipes
    'daemons/extra-data.d/50-host-daemon': { text: '#!/bin/sh\nsleep 100001 &\necho "HOST-DAEMON $!"\n', mode: 0o755 },
    'daemons/install.d/50-chroot-daemon': { text: '#!/bin/sh\nsleep 100002 &\necho "CHROOT-DAEMON $!"\n', mode: 0o755 },
    // a later script sees neither (ps in the chroot shows the whole sandbox)
    'daemons/post-install.d/50-look': { text: '#!/bin/sh\nif ps -o args | grep -q "^sleep 10000[12]"; then echo DAEMON-STILL-RUNNING; else echo NO-DAEMON-LEFT; fi\n', mode: 0o755 },
  });
  const t0 = performance.now();
  const r = await dib([...buildArgs(work, 'daemons'), '--elements-path', els], { cwd: dir, env: { [MARKER_VAR]: marker } });
  const seconds = (performance.now() - t0) / 1000;
  t.is(r.exitCode, 0, r.all);
  const host = /HOST-DAEMON (\d+)/.exec(r.all)![1];
  const chroot = /CHROOT-DAEMON (\d+)/.exec(r.all)![1];
  t.regex(r.all, new RegExp(`daemons extra-data\\.d/50-host-daemon: WARNING: killed process ${host} \\((sleep 100001|\\S*sh \\S+|\\[(sleep|50-host-daemon)\\])\\) left running`));
  t.regex(r.all, new RegExp(`daemons install\\.d/50-chroot-daemon: WARNING: killed process ${chroot} \\((sleep 100002|\\S*sh \\S+|\\[(sleep|50-chroot-daemon)\\])\\) left running`));
  t.regex(r.all, /NO-DAEMON-LEFT/);
  t.true(seconds < 60, `the build did not wait for the daemons (${seconds.toFixed(1)} s)`);
  t.deepEqual(await leftovers(dir, work, marker), []);
  t.true(await fs.pathExists(path.join(dir, 'x.tar')));
});

root('SIGINT while waiting for a cache lock another build holds: the waiting build stops within 5 s (was: up to 20 min)', async (t) => {
  const { dir, work, marker } = await caseDir();
  const cache = path.join(dir, 'cache');
  const other = path.join(dir, 'holder');
  await fs.ensureDir(path.join(other, 'work'));
  const env = { [MARKER_VAR]: marker, DIB_FAULT_PHASE: 'extra-data', DIB_FAULT_LOCK: 'fault-lock' };
  const holder = startDib([...buildArgs(path.join(other, 'work'), fixtureElement('fault-tap')), '--image-cache', cache], { cwd: other, env: { ...env, DIB_FAULT_KIND: 'lock-hold' } });
  await holder.waitFor('FAULT-LOCKED');
  const waiter = startDib([...buildArgs(work, fixtureElement('fault-tap')), '--image-cache', cache], { cwd: dir, env: { ...env, DIB_FAULT_KIND: 'lock-wait' } });
  await waiter.waitFor('FAULT-READY lock-wait');
  await new Promise((r) => setTimeout(r, 1000)); // well into the wait
  t.false(waiter.output().includes('FAULT-LOCKED'), 'the lock is held by the other build');
  const { seconds, ...r } = await stopWith(waiter, 'SIGINT');
  t.is(r.exitCode, 130, waiter.output().slice(-3000));
  t.true(seconds <= 5, `stopped in ${seconds.toFixed(1)} s`);
  t.deepEqual(await fs.readdir(work), []);
  holder.child.kill('SIGTERM');
  t.is((await holder.exited).exitCode, 143);
  t.deepEqual(await leftovers(dir, work, marker), []);
  t.log(`SIGINT during a held cache lock wait: exit ${r.exitCode} in ${seconds.toFixed(2)} s`);
});

root('SIGKILL, then SIGTERM, during a qemu-img conversion: no qemu-img left; the next build removes the partial output and says so; SIGTERM stops within 5 s', async (t) => {
  const { dir, work, marker } = await caseDir();
  const els = path.join(dir, 'elements');
  // incompressible content, so that the qcow2 compression takes a while
  await writeTree(els, { 'bulk/post-install.d/50-bulk': { text: '#!/bin/sh\nhead -c 150000000 /dev/urandom > /bulk\n', mode: 0o755 } });
  const qcow2 = async (): Promise<RunningDib> => {
    const run = startDib(['build', '-o', 'x', '-t', 'qcow2', '--work-dir', work, '--elements-path', els, 'busybox-root', 'bulk'], { cwd: dir, env: { [MARKER_VAR]: marker } });
    await run.waitFor('writing qcow2 output', 180_000);
    await pollUntil(async () => (await processesWithMarker(marker)).some((p) => p.cmd.includes('qemu-img convert')), 20_000);
    t.true((await processesWithMarker(marker)).some((p) => p.cmd.includes('qemu-img convert')), 'qemu-img is running');
    return run;
  };
  // SIGKILL of dib: qemu-img dies with the sandbox; its partial output stays, marked, in the staging dir
  const first = await qcow2();
  const killed = await stopWith(first, 'SIGKILL');
  t.is(killed.signal, 'SIGKILL');
  t.truthy(await pollUntil(async () => (await processesWithMarker(marker)).length === 0, 10_000), 'no qemu-img (or anything else) left');
  const staged = (await fs.readdir(dir)).filter((n) => isDibTempOutput(n));
  t.true(staged.length >= 1, 'the partial output is in a hidden staging directory');
  // the next build removes it, says so, and is then stopped by SIGTERM during its own conversion
  const second = await qcow2();
  for (const n of staged) t.regex(second.output(), new RegExp(`removed stale \\S+/${n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const { seconds, ...r } = await stopWith(second, 'SIGTERM');
  t.is(r.exitCode, 143, second.output().slice(-3000));
  t.true(seconds <= 5, `stopped in ${seconds.toFixed(1)} s`);
  t.deepEqual(await leftovers(dir, work, marker), []);
  t.deepEqual((await fs.readdir(dir)).filter((n) => isDibTempOutput(n)), [], 'no hidden temp output');
  t.false(await fs.pathExists(path.join(dir, 'x.qcow2')));
  t.log(`SIGTERM during qemu-img convert: exit ${r.exitCode} in ${seconds.toFixed(2)} s`);
});

root('a second signal kills the sandbox at once; nothing of the build remains and the next build removes its work dir', async (t) => {
  const { dir, work, marker } = await caseDir();
  const els = path.join(dir, 'elements');
  await writeTree(els, { 'stubborn/install.d/50-stubborn': { text: "#!/bin/sh\ntrap '' TERM\necho STUBBORN-READY\nsleep 1000\n", mode: 0o755 } });
  const run = startDib([...buildArgs(work, 'stubborn'), '--elements-path', els], { cwd: dir, env: { [MARKER_VAR]: marker } });
  await run.waitFor('STUBBORN-READY');
  const t0 = performance.now();
  run.child.kill('SIGINT');
  await run.waitFor('SIGINT received');
  run.child.kill('SIGINT');
  const r = await run.exited;
  const seconds = (r.at - t0) / 1000;
  t.is(r.exitCode, 130);
  t.regex(run.output(), /SIGINT again: killing the build's sandbox now/);
  t.true(seconds < 2, `the second signal did not wait for the 2 s grace of the stubborn script (${seconds.toFixed(2)} s)`);
  t.deepEqual(await processesWithMarker(marker), []);
  t.deepEqual(await mountsUnder(dir), []);
  const next = await dib(['build', '-o', 'y', '-t', 'tar', '--work-dir', work, 'busybox-root'], { cwd: dir });
  t.is(next.exitCode, 0, next.all);
  t.regex(next.all, /removed the work dir \S+dib_build\.\S+ left by a dib build that was killed/);
  t.deepEqual(await fs.readdir(work), []);
});

root("the chroot's /dev is private and minimal, and the hooks tree cannot be made writable from the chroot", async (t) => {
  const { dir, work } = await caseDir();
  const els = path.join(dir, 'elements');
  const probe = [
    '#!/bin/sh',
    'echo "DEV: $(ls /dev | tr "\\n" " ")"',
    'echo "PTS: $(ls /dev/pts | tr "\\n" " ")"',
    'echo "DEVFS: $(grep " /dev " /proc/self/mountinfo | sed "s/.* - //" | cut -d" " -f1)"',
    'mknod /dev/dib-fault-node c 1 3 && echo MKNOD-OK',
    'mount -o remount,rw /tmp/in_target.d 2>/dev/null && echo REMOUNT-RW-OK',
    'mount -o remount,rw,bind /tmp/in_target.d 2>/dev/null && echo REMOUNT-BIND-RW-OK',
    'if echo x > /tmp/in_target.d/pwned 2>/dev/null; then echo WRITE-OK; else echo WRITE-REFUSED; fi',
    'if echo x > /tmp/in_target.d/install.d/50-probe 2>/dev/null; then echo OVERWRITE-OK; else echo OVERWRITE-REFUSED; fi',
  ].join('\n');
  await writeTree(els, { 'devprobe/install.d/50-probe': { text: probe + '\n', mode: 0o755 } });
  const r = await dib([...buildArgs(work, 'devprobe'), '--elements-path', els], { cwd: dir });
  t.is(r.exitCode, 0, r.all);
  const devs = /DEV: (.*)/.exec(r.all)![1]!.trim().split(' ').sort();
  t.deepEqual(devs, ['fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
  t.regex(r.all, /PTS: ptmx\s*$/m, 'a devpts instance of its own (no host terminals)');
  t.regex(r.all, /DEVFS: tmpfs/);
  t.regex(r.all, /MKNOD-OK/);
  t.false(await fs.pathExists('/dev/dib-fault-node'), "a node made in the chroot's /dev is not in the host's");
  t.false(r.all.includes('REMOUNT-RW-OK'), 'remount,rw of the hooks tree fails');
  t.regex(r.all, /WRITE-REFUSED/);
  t.regex(r.all, /OVERWRITE-REFUSED/);
  t.false(r.all.includes('WRITE-OK'));
  t.log(r.all.includes('REMOUNT-BIND-RW-OK') ? 'remount,rw,bind succeeds on the mount flag, and writes still get EROFS' : 'remount,rw,bind refused');
});

root('DIB_NO_SANDBOX=1: a loud warning, mounts in the host table while it runs; after SIGKILL the next build unmounts and removes what it left', async (t) => {
  const { dir, work, marker } = await caseDir();
  const env = { [MARKER_VAR]: marker, DIB_NO_SANDBOX: '1' };
  const run = startDib(buildArgs(work, fixtureElement('sleep-in')), { cwd: dir, env });
  await run.waitFor('SLEEPING-NOW');
  t.regex(run.output(), /WARNING: DIB_NO_SANDBOX=1: building WITHOUT the sandbox/);
  t.true((await mountsUnder(work)).length > 0, 'without the sandbox the mounts are in the host table');
  run.child.kill('SIGKILL');
  await run.exited;
  // the command namespaces still die with dib (setpriv --pdeathsig): no process is left
  t.truthy(await pollUntil(async () => (await processesWithMarker(marker)).length === 0, 10_000), 'no process left');
  t.true((await mountsUnder(work)).length > 0, 'the fallback leaves the mounts of a killed build');
  const next = await dib(['build', '-o', 'y', '-t', 'tar', '--work-dir', work, 'busybox-root'], { cwd: dir, env });
  t.is(next.exitCode, 0, next.all);
  t.regex(next.all, /removed the work dir \S+dib_build\.\S+ left by a dib build that was killed/);
  t.deepEqual(await mountsUnder(work), []);
  t.deepEqual(await fs.readdir(work), []);
});

root('where namespaces cannot be made (no CAP_SYS_ADMIN): E_SANDBOX with the fix, and dib doctor says so', async (t) => {
  const { dir, work } = await caseDir();
  const noAdmin = ['--bounding-set=-sys_admin', '--inh-caps=-sys_admin', 'node', CLI];
  const r = await execa('setpriv', [...noAdmin, ...buildArgs(work)], { cwd: dir, reject: false, all: true });
  t.is(r.exitCode, 1, r.all);
  t.regex(r.stderr, /dib: error \[E_SANDBOX\] cannot make the build's sandbox: mount and PID namespaces cannot be made here/);
  t.regex(r.stderr, /hint: .*privileged container.*DIB_NO_SANDBOX=1/);
  t.deepEqual(await fs.readdir(work), []);
  const doc = await execa('setpriv', [...noAdmin, 'doctor', '--quick', 'busybox-root', '-t', 'tar'], { cwd: dir, reject: false, all: true });
  t.is(doc.exitCode, 1);
  t.regex(doc.stdout, /FAIL {2}sandbox: mount and PID namespaces cannot be made here/);
  t.regex(doc.stdout, /doctor: not ready \(.*sandbox/);
});

root('in a plain chroot (its / not a mount point): E_SANDBOX says so and how to make one; nothing is left', async (t) => {
  // a root directory with the host's /usr and the repository bound in, entered with chroot from
  // a mount namespace of the test's own (the binds vanish with it)
  const r0 = await fs.mkdtemp('/var/tmp/dib-plain-chroot-');
  for (const d of ['usr', 'proc', 'dev', 'tmp', 'etc', REPO.slice(1)]) await fs.ensureDir(path.join(r0, d));
  for (const l of ['bin', 'lib', 'lib64', 'sbin']) await fs.symlink(`usr/${l}`, path.join(r0, l));
  await fs.copy('/etc/passwd', path.join(r0, 'etc/passwd'));
  const inside = `cd /tmp && exec node ${CLI} build -o x -t tar busybox-root`;
  const script = [`mount --rbind /usr ${r0}/usr`, `mount --rbind /dev ${r0}/dev`, `mount --rbind ${REPO} ${r0}${REPO}`, `mount -t proc proc ${r0}/proc`, `exec chroot ${r0} sh -c '${inside}'`].join(' && ');
  try {
    const r = await execa('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script], { reject: false, all: true, env: testEnv(), timeout: 60_000 });
    t.is(r.exitCode, 1, r.all);
    t.regex(r.stderr, /E_SANDBOX\] cannot make the build's sandbox: the root directory is not a mount point/);
    t.regex(r.stderr, /hint: make \/ a mount point before entering the chroot \(mount --bind DIR DIR, then chroot DIR\)/);
    t.deepEqual(await fs.readdir(path.join(r0, 'tmp')), [], 'no work dir, no output');
  } finally {
    const leaked = (await fs.readFile('/proc/self/mountinfo', 'utf8')).includes(r0);
    t.false(leaked, 'the binds were in the test namespace only');
    // never through a bind of the host's /usr
    if (!leaked) await execa('rm', ['-rf', '--one-file-system', r0]);
  }
});
