/**
 * The command runners for real: every command in a PID namespace of its own under dib-init
 * (a command is finished when its main process exits; what it leaves running is named and
 * killed), abort with SIGTERM then SIGKILL after the grace, and the same inside a chroot.
 */
import test from 'ava';
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { createChrootRunner, createHostRunner, isDibError, type Logger } from '@dib/core';
import { STOP_GRACE_MS, containment, runningCommands, stopRunningCommands } from '#core/chroot/run.js';
import { tmpDir } from '../helpers/tmp.js';

// serial: the running-commands registry is per process
const root = process.getuid?.() === 0 ? test.serial : test.skip;

function recorder(): Logger & { warnings: string[]; lines: string[] } {
  const warnings: string[] = [];
  const lines: string[] = [];
  const log = { warnings, lines, debug() {}, info: (m: string) => lines.push(m), warn: (m: string) => warnings.push(m), error() {}, child: () => log };
  return log;
}

async function alive(pattern: string): Promise<boolean> {
  return (await execa('pgrep', ['-f', pattern], { reject: false })).exitCode === 0;
}

root('commands run contained here (PID namespaces work as root)', async (t) => {
  t.truthy(await containment());
});

root('a background process holding the output pipes does not block: named, killed, the command returns when its main process exits', async (t) => {
  const log = recorder();
  const t0 = performance.now();
  const r = await createHostRunner({ log }).sh('echo before; sleep 100003 & echo "bg $!"; echo after');
  const ms = performance.now() - t0;
  t.is(r.exitCode, 0);
  t.deepEqual(log.lines, ['before', `bg ${/bg (\d+)/.exec(r.stdout)![1]}`, 'after']);
  const pid = /bg (\d+)/.exec(r.stdout)![1];
  t.is(log.warnings.length, 1);
  t.regex(log.warnings[0]!, new RegExp(`^killed process ${pid} \\((sleep 100003|sh -c .*|\\[(sleep|sh)\\])\\) left running by echo before`));
  t.true(ms < 5000, `${ms} ms`);
  t.false(await alive('sleep 100003'));
});

root('exit status, death by signal and a program that does not exist are reported as before', async (t) => {
  const host = createHostRunner({ log: recorder() });
  t.is((await host.sh('exit 5', { reject: false })).exitCode, 5);
  const killed = await t.throwsAsync(host.sh('kill -KILL $$'));
  t.regex(killed!.message, /was killed by SIGKILL/);
  const missing = await t.throwsAsync(host.run('/nonexistent/dib-no-such-tool'));
  t.true(isDibError(missing));
  t.regex(missing!.message, /could not start \(ENOENT: No such file or directory\)/);
  t.regex((missing as { hint?: string }).hint!, /install the program/);
  t.is((await host.run('cat', [], { input: 'stdin works' })).stdout, 'stdin works');
});

root('abort: SIGTERM to the main process, SIGKILL of the whole namespace after the grace, even when SIGTERM is ignored', async (t) => {
  const ac = new AbortController();
  const host = createHostRunner({ log: recorder(), signal: ac.signal });
  const p = host.sh("trap '' TERM; sleep 100004 & sleep 100005");
  await new Promise((r) => setTimeout(r, 300));
  t.deepEqual(runningCommands(), ["trap '' TERM; sleep 100004 & sleep 100005"]);
  const t0 = performance.now();
  ac.abort();
  const e = await t.throwsAsync(p);
  const ms = performance.now() - t0;
  t.is((e as { code?: string }).code, 'E_INTERRUPTED');
  t.true(ms >= STOP_GRACE_MS - 100 && ms < STOP_GRACE_MS + 2000, `${ms} ms`);
  t.false(await alive('sleep 10000[45]'));
  t.deepEqual(runningCommands(), []);
});

root('stopRunningCommands stops whatever still runs (the cleanup of an abandoned tap)', async (t) => {
  const host = createHostRunner({ log: recorder() });
  const p = host.sh('sleep 100006').catch((e: Error) => e);
  await new Promise((r) => setTimeout(r, 300));
  await stopRunningCommands(500);
  t.regex(String(((await p) as Error).message), /was killed by SIGTERM/);
  t.false(await alive('sleep 100006'));
});

root('in a chroot: the daemon of a chroot command is named and killed too', async (t) => {
  const dir = await tmpDir();
  const tree = path.join(dir, 'root');
  for (const d of ['bin', 'proc', 'dev']) await fs.ensureDir(path.join(tree, d));
  await execa('mknod', ['-m', '666', path.join(tree, 'dev/null'), 'c', '1', '3']); // sh gives a background job /dev/null
  await fs.copyFile('/bin/busybox', path.join(tree, 'bin/busybox'));
  for (const a of ['sh', 'sleep', 'echo']) await fs.symlink('busybox', path.join(tree, 'bin', a));
  const log = recorder();
  const r = await createChrootRunner({ root: tree, log }).sh('sleep 100007 & echo "bg $!"');
  t.regex(r.stdout, /^bg \d+/);
  t.is(log.warnings.length, 1);
  t.regex(log.warnings[0]!, /^killed process \d+ \(.*\) left running by chroot: sleep 100007/);
  t.false(await alive('sleep 100007'));
});
