/**
 * The cache lock across real processes: many contenders (some in PID namespaces of their own,
 * where every one of them is pid 1), one holder at a time; a holder killed with SIGKILL never
 * leaves a stale lock; waits end on abort and on timeout; shared holders coexist and keep an
 * exclusive one out; a DIB script's `flock` sees the same lock.
 */
import test from 'ava';
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isDibError } from '@dib/core';
import { acquireLock, isLocked, withFileLock } from '#core/cache/lock.js';
import { REPO } from '../helpers/cli.js';
import { tmpDir } from '../helpers/tmp.js';

const LOCK_MODULE = pathToFileURL(path.join(REPO, 'core/dist/cache/lock.js')).href;
const isRoot = process.getuid?.() === 0;

/** A contender: takes the lock, logs start/end around a short critical section. */
const WORKER = `
import { appendFileSync } from 'node:fs';
const { withFileLock } = await import(process.argv[2]);
const [, , , lock, log, id, holdMs] = process.argv;
for (let i = 0; i < 3; i++) {
  await withFileLock(lock, async () => {
    appendFileSync(log, 'start ' + id + ' pid ' + process.pid + '\\n');
    await new Promise((r) => setTimeout(r, Number(holdMs)));
    appendFileSync(log, 'end ' + id + '\\n');
  });
}
`;

async function worker(dir: string): Promise<string> {
  const file = path.join(dir, 'worker.mjs');
  if (!existsSync(file)) await writeFile(file, WORKER);
  return file;
}

test('many contenders in several PID namespaces: exactly one holder at a time', async (t) => {
  const dir = await tmpDir('dib-lock-');
  const w = await worker(dir);
  const lock = path.join(dir, 'locks', 'race.lock');
  const log = path.join(dir, 'log');
  await writeFile(log, '');
  const canUnshare = isRoot && (await execa('unshare', ['--pid', '--fork', 'true'], { reject: false })).exitCode === 0;
  const procs = Array.from({ length: 10 }, (_, i) => {
    const args = [w, LOCK_MODULE, lock, log, `w${i}`, '30'];
    // half of them each in a PID namespace of its own: pids mean nothing across them
    return canUnshare && i % 2 ? execa('unshare', ['--pid', '--fork', process.execPath, ...args]) : execa(process.execPath, args);
  });
  await Promise.all(procs);
  const lines = (await readFile(log, 'utf8')).trim().split('\n');
  t.is(lines.length, 60);
  const pids = new Set<string>();
  for (let i = 0; i < lines.length; i += 2) {
    const m = /^start (w\d+) pid (\d+)$/.exec(lines[i]!);
    t.truthy(m, `line ${i}: ${lines[i]}`);
    t.is(lines[i + 1], `end ${m![1]}`, `a second holder entered while ${m![1]} held the lock`);
    pids.add(m![2]!);
  }
  if (canUnshare) t.true(pids.has('1'), 'contenders in their own PID namespace (pid 1) took part');
  t.log(`10 processes x 3 acquisitions, ${canUnshare ? '5 in PID namespaces of their own' : 'no PID namespaces (not root)'}: one holder at a time`);
});

test('a holder killed with SIGKILL releases the lock at once (no stale lock, no takeover heuristics)', async (t) => {
  const dir = await tmpDir('dib-lock-');
  const lock = path.join(dir, 'stale.lock');
  const holder = spawn(process.execPath, ['--input-type=module', '-e', `const { acquireLock } = await import(${JSON.stringify(LOCK_MODULE)}); await acquireLock(${JSON.stringify(lock)}); console.log('held'); setInterval(() => {}, 1000);`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
  t.true(await isLocked(lock));
  const waiting = acquireLock(lock, { timeoutMs: 30_000 });
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  holder.kill('SIGKILL');
  const got = await waiting;
  const ms = performance.now() - t0;
  t.true(got.locked);
  t.true(ms < 2000, `took over ${ms.toFixed(0)} ms after the holder died`);
  // the holder's note is informational: its pid is in the file, but nothing relies on it
  t.regex(await readFile(lock, 'utf8'), new RegExp(`^pid ${process.pid} `));
  await got.release();
  t.false(await isLocked(lock));
  t.log(`lock free ${ms.toFixed(0)} ms after SIGKILL of its holder`);
});

test('a wait ends when the build is aborted, and on timeout with E_LOCK naming the holder', async (t) => {
  const dir = await tmpDir('dib-lock-');
  const lock = path.join(dir, 'wait.lock');
  const held = await acquireLock(lock);
  const ac = new AbortController();
  const t0 = performance.now();
  setTimeout(() => ac.abort(), 200);
  const err = await t.throwsAsync(acquireLock(lock, { signal: ac.signal }));
  t.true(isDibError(err));
  t.is((err as { code?: string }).code, 'E_INTERRUPTED');
  t.true(performance.now() - t0 < 5000, "an aborted wait ends within the 5 s a signal may take");
  // aborted while the first (non-blocking) try is still running: the wait must not start
  const ac2 = new AbortController();
  const racing = acquireLock(lock, { signal: ac2.signal });
  ac2.abort();
  const raced = await Promise.race([racing.then(() => 'acquired', (e: { code?: string }) => e.code), new Promise((r) => setTimeout(() => r('still waiting after 5 s'), 5000))]);
  t.is(raced, 'E_INTERRUPTED');
  const lines: string[] = [];
  const log = { debug() {}, info: (m: string) => lines.push(m), warn() {}, error() {}, child: () => log };
  const timeout = await t.throwsAsync(acquireLock(lock, { timeoutMs: 400, quietMs: 50, log }));
  t.is((timeout as { code?: string }).code, 'E_LOCK');
  t.regex(timeout!.message, new RegExp(`held by pid ${process.pid} on `));
  t.regex(lines.join('\n'), /waiting for cache lock wait\.lock \(held by pid \d+/);
  await held.release();
  // after the aborted and timed-out waits nothing is left holding it
  t.false(await isLocked(lock));
});

test('shared holders coexist and keep an exclusive one out; util-linux flock in a script sees the same lock', async (t) => {
  const dir = await tmpDir('dib-lock-');
  const lock = path.join(dir, 'rw.lock');
  const a = await acquireLock(lock, { shared: true });
  const b = await acquireLock(lock, { shared: true });
  t.true(a.locked && b.locked);
  const order: string[] = [];
  const writer = withFileLock(lock, async () => void order.push('writer'));
  await new Promise((r) => setTimeout(r, 200));
  t.deepEqual(order, []);
  // a DIB script's `flock -n` on the same file fails while we hold it
  const script = await execa('flock', ['--nonblock', '--exclusive', lock, 'true'], { reject: false });
  t.is(script.exitCode, 1);
  await a.release();
  await b.release();
  await writer;
  t.deepEqual(order, ['writer']);
  t.is((await execa('flock', ['--nonblock', '--exclusive', lock, 'true'], { reject: false })).exitCode, 0);
});
