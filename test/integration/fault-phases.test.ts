/**
 * The fault-injection suite: busybox-root and each of DIB's ten phases, with a failing script,
 * SIGINT, SIGTERM and SIGKILL during a script, a script that leaves a daemon behind, a script
 * that ignores SIGTERM, and a JS tap whose promise never settles. For every case: the exit
 * status, the time to stop (≤ 5 s; ≤ 10 s after SIGKILL until nothing of the build remains), no
 * process left (by a marker variable), no mount in the host's mount table, no work dir and no
 * partial output (after the next run when the build was SIGKILLed), and the previous outputs
 * byte-identical when the build did not succeed. Cases run a few at a time; a table of every
 * case is printed at the end (and written to build/fault-table.md).
 */
import test, { type ExecutionContext } from 'ava';
import fs from 'fs-extra';
import path from 'node:path';
import { REPO, dib, fixtureElement } from '../helpers/cli.js';
import { MARKER_VAR, hashTree, leftovers, newMarker, pollUntil, processesWithMarker, startDib } from '../helpers/fault.js';
import { mountsUnder } from '../helpers/mounts.js';
import { tmpDir, writeTree } from '../helpers/tmp.js';

const PHASES = ['root', 'extra-data', 'pre-install', 'install', 'post-install', 'post-root', 'block-device', 'pre-finalise', 'finalise', 'cleanup'] as const;
const KINDS = ['fail', 'SIGINT', 'SIGTERM', 'SIGKILL', 'daemon', 'ignore-term', 'tap'] as const;
type Kind = (typeof KINDS)[number];

/** One DIB script per phase; it acts only in DIB_FAULT_PHASE, as DIB_FAULT_KIND says. */
const FAULT_SCRIPT = `#!/bin/sh
phase=$(basename "$(dirname "$0")" .d)
[ "$phase" = "$DIB_FAULT_PHASE" ] || exit 0
case "$DIB_FAULT_KIND" in
  fail) echo FAULT-FAIL; exit 7 ;;
  signal) echo FAULT-READY; sleep 1000; echo FAULT-NOT-STOPPED ;;
  daemon) sleep 100000 & echo "FAULT-DAEMON $!" ;;
  ignore-term) trap '' TERM; echo FAULT-READY; sleep 1000; sleep 1000 ;;
esac
exit 0
`;

const isRoot = process.getuid?.() === 0;
/** seconds; the 'tap' case's time to stop is counted from when it expires */
const TAP_TIMEOUT = 5;
const CONCURRENCY = Number(process.env.DIB_FAULT_CONCURRENCY ?? 4);

interface Row {
  name: string;
  exit: string;
  stop: number;
  leaks: string[];
}
const rows: Row[] = [];

let suite: string;
let elements: string;
let baseline: Record<string, string>;
let baselineDir: string;

/** A tiny semaphore: at most CONCURRENCY builds at a time (the machine has 2 cores). */
let active = 0;
const queue: (() => void)[] = [];
async function slot<T>(fn: () => Promise<T>): Promise<T> {
  if (active >= CONCURRENCY) await new Promise<void>((r) => queue.push(r));
  active++;
  try {
    return await fn();
  } finally {
    active--;
    queue.shift()?.();
  }
}

test.before(async () => {
  if (!isRoot) return;
  suite = await tmpDir('dib-fault-');
  elements = path.join(suite, 'elements');
  await writeTree(elements, Object.fromEntries(PHASES.map((p) => [`fault/${p}.d/50-fault`, { text: FAULT_SCRIPT, mode: 0o755 }])));
  // the previous good outputs every case starts from
  baselineDir = path.join(suite, 'baseline');
  await fs.ensureDir(baselineDir);
  const r = await dib(['build', '-o', 'x', '-t', 'tar', '--work-dir', path.join(baselineDir, 'work'), 'busybox-root'], { cwd: baselineDir });
  if (r.exitCode !== 0) throw new Error(`baseline build failed:\n${r.all}`);
  baseline = await outputsHash(baselineDir);
});

async function outputsHash(dir: string): Promise<Record<string, string>> {
  const d = await hashTree(path.join(dir, 'x.d'));
  const tar = await hashTree(dir).then((all) => all['x.tar']);
  return { ...Object.fromEntries(Object.entries(d).map(([k, v]) => [`x.d/${k}`, v])), 'x.tar': tar ?? 'missing' };
}

const EXPECTED_EXIT: Record<Kind, string> = { fail: '1', SIGINT: '130', SIGTERM: '143', SIGKILL: 'SIGKILL', daemon: '0', 'ignore-term': '143', tap: '1' };

async function runCase(t: ExecutionContext, phase: (typeof PHASES)[number], kind: Kind): Promise<void> {
  const dir = await fs.mkdtemp(path.join(suite, `${phase}-${kind}-`));
  const work = path.join(dir, 'work');
  await fs.ensureDir(work);
  await fs.copy(path.join(baselineDir, 'x.tar'), path.join(dir, 'x.tar'));
  await fs.copy(path.join(baselineDir, 'x.d'), path.join(dir, 'x.d'));
  if (kind === 'tap') await fs.writeJson(path.join(dir, '.dibrc.json'), { tapTimeout: TAP_TIMEOUT });
  const marker = newMarker();
  const scriptKind = kind.startsWith('SIG') ? 'signal' : kind;
  const env = { [MARKER_VAR]: marker, DIB_FAULT_PHASE: phase, DIB_FAULT_KIND: scriptKind };
  const args = ['build', '-o', 'x', '-t', 'tar', '--work-dir', work, '--elements-path', elements, 'busybox-root', 'fault', fixtureElement('fault-tap')];
  const run = startDib(args, { cwd: dir, env });
  let t0: number;
  let daemonKilled: Promise<number> | undefined;
  if (kind === 'fail') t0 = await run.waitFor('FAULT-FAIL');
  else if (kind === 'daemon') {
    t0 = await run.waitFor('FAULT-DAEMON');
    // the script is done when it exits, daemon or not: the warning that kills the daemon ends it
    daemonKilled = run.waitFor(/killed process \d+ \(.*\) left running/);
  }
  else if (kind === 'tap') t0 = (await run.waitFor('FAULT-READY tap')) + TAP_TIMEOUT * 1000;
  else {
    await run.waitFor('FAULT-READY');
    // the build's mounts exist in its sandbox only, never in the host's table
    t.deepEqual(await mountsUnder(dir), [], 'no build mount in the host table while it runs');
    t0 = performance.now();
    run.child.kill(kind === 'ignore-term' ? 'SIGTERM' : kind);
  }
  const r = await run.exited;
  let end = daemonKilled ? await daemonKilled : r.at;
  if (kind === 'SIGKILL') {
    // nothing of the build may remain within 10 s: no process, no mount
    end = (await pollUntil(async () => (await processesWithMarker(marker)).length === 0 && (await mountsUnder(dir)).length === 0, 10_000)) ?? performance.now();
  }
  const stop = (end - t0) / 1000;
  const out = run.output();
  const leaks: string[] = [];
  const exit = r.exitCode === undefined ? String(r.signal) : String(r.exitCode);
  // previous outputs untouched by a build that did not succeed
  if (kind !== 'daemon') {
    const now = await outputsHash(dir);
    const changed = Object.keys({ ...baseline, ...now }).filter((k) => baseline[k] !== now[k]);
    if (changed.length) leaks.push(`previous outputs changed: ${changed.join(', ')}`);
  }
  if (kind === 'SIGKILL') {
    const procs = await processesWithMarker(marker);
    if (procs.length) leaks.push(`processes: ${procs.map((p) => p.cmd).join('; ')}`);
    const next = await dib(['build', '-o', 'next', '-t', 'tar', '--work-dir', work, 'busybox-root'], { cwd: dir });
    t.is(next.exitCode, 0, next.all);
    t.regex(next.all, /removed the work dir .*dib_build\..* left by a dib build that was killed/, 'the next run says what it removed');
  }
  leaks.push(...(await leftovers(dir, work, marker)));
  rows.push({ name: `${phase}/${kind}`, exit, stop, leaks });
  t.is(exit, EXPECTED_EXIT[kind], out.slice(-4000));
  t.true(stop <= (kind === 'SIGKILL' ? 10 : 5), `stopped in ${stop.toFixed(1)} s`);
  t.deepEqual(leaks, []);
  t.false(out.includes('FAULT-NOT-STOPPED'));
  if (kind === 'fail') t.regex(out, /E_TAP_FAILED.*script .*50-fault exited with status 7/);
  if (kind === 'daemon') {
    // named by pid ($! in the script) and command line (the shell's, or its [name] when it was
    // caught between fork and exec)
    const pid = /FAULT-DAEMON (\d+)/.exec(out)![1];
    t.regex(out, new RegExp(`killed process ${pid} \\((sleep 100000|\\S*sh \\S*50-fault|\\[(sleep|50-fault)\\])\\) left running`));
  }
  if (kind === 'tap') t.regex(out, new RegExp(`E_TAP_TIMEOUT\\] ${phase} phase, element fault-tap, tap fault-tap: did not finish within ${TAP_TIMEOUT} s`));
  if (kind === 'SIGINT' || kind === 'SIGTERM' || kind === 'ignore-term') t.regex(out, /E_INTERRUPTED\] build interrupted/);
  t.false(/^\s+at .*\(.*:\d+:\d+\)$/m.test(out), 'no stack trace');
  if (!leaks.length) await fs.remove(dir);
}

for (const phase of PHASES) {
  for (const kind of KINDS) {
    (isRoot ? test : test.skip)(`${phase}: ${kind}`, (t) => slot(() => runCase(t, phase, kind)));
  }
}

test.after.always(async () => {
  if (!rows.length) return;
  const order = (r: Row) => PHASES.indexOf(r.name.split('/')[0] as never) * 10 + KINDS.indexOf(r.name.split('/')[1] as Kind);
  const sorted = [...rows].sort((a, b) => order(a) - order(b));
  const lines = [
    `time to stop: from the fault (the failing script's last line, the signal, the expiry of tapTimeout=${TAP_TIMEOUT}) to exit; for a daemon, from the end of its script to the script's command being done (the build then goes on and succeeds); after SIGKILL, until no process and no mount of the build remain`,
    '',
    '| case | exit | time to stop | leaks |',
    '|---|---|---|---|',
    ...sorted.map((r) => `| ${r.name} | ${r.exit} | ${r.stop.toFixed(1)} s | ${r.leaks.length ? r.leaks.join('; ') : 'none'} |`),
  ];
  await fs.outputFile(path.join(REPO, 'build', 'fault-table.md'), lines.join('\n') + '\n');
  console.log(['', 'fault-injection table (also in build/fault-table.md):', ...lines].join('\n'));
});
