/**
 * Fault injection against a real `dib build`: start it, wait for a line, send a signal, time how
 * long it takes to stop, and find what it left: processes (by a marker variable every process of
 * the build inherits, so that builds of other sessions on the machine are never counted),
 * mounts in the host's mount table, work dirs and partial outputs.
 */
import { execa, type ResultPromise } from 'execa';
import fs from 'fs-extra';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { isDibTempOutput } from '@dib/core';
import { CLI, testEnv } from './cli.js';
import { mountsUnder } from './mounts.js';

/** The marker variable: a DIB_* name, so that it reaches host and chroot commands alike. */
export const MARKER_VAR = 'DIB_FAULT_MARKER';

export function newMarker(): string {
  return `fault-${randomBytes(6).toString('hex')}`;
}

/** Live (non-zombie) processes whose environment holds `marker`. */
export async function processesWithMarker(marker: string): Promise<{ pid: number; cmd: string }[]> {
  const needle = Buffer.from(`${MARKER_VAR}=${marker}\0`);
  const out: { pid: number; cmd: string }[] = [];
  for (const name of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const env = await fs.readFile(`/proc/${name}/environ`).catch(() => undefined);
    if (!env || !Buffer.concat([env, Buffer.from('\0')]).includes(needle)) continue;
    const stat = await fs.readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    if (/\) [ZX] /.test(stat)) continue;
    const cmd = (await fs.readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '')).replace(/\0+$/, '').replace(/\0/g, ' ');
    out.push({ pid: Number(name), cmd: cmd.slice(0, 120) });
  }
  return out;
}

export interface RunningDib {
  child: ResultPromise;
  /** everything written so far (stdout and stderr) */
  output(): string;
  /** resolves with the time (performance.now) at which `text` first appeared */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<number>;
  /** resolves when the supervisor exits: its status (or signal) and the time */
  exited: Promise<{ exitCode?: number; signal?: string; at: number }>;
}

/** Start `dib ARGS` (never rejects). */
export function startDib(args: string[], opts: { cwd: string; env?: Record<string, string> }): RunningDib {
  const child = execa('node', [CLI, ...args], { cwd: opts.cwd, env: testEnv(opts.env), reject: false, all: true, timeout: 5 * 60 * 1000 });
  let text = '';
  const waiters: { re: string | RegExp; resolve: (t: number) => void }[] = [];
  const hit = (re: string | RegExp) => (typeof re === 'string' ? text.includes(re) : re.test(text));
  child.all!.on('data', (d: Buffer) => {
    text += d.toString();
    const now = performance.now();
    for (const w of [...waiters]) {
      if (hit(w.re)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(now);
      }
    }
  });
  const exited = child.then((r) => ({ exitCode: r.exitCode, signal: r.signal, at: performance.now() }));
  return {
    child,
    output: () => text,
    waitFor(re, timeoutMs = 90_000) {
      if (hit(re)) return Promise.resolve(performance.now());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${String(re)} within ${timeoutMs} ms; output:\n${text.slice(-3000)}`)), timeoutMs);
        waiters.push({
          re,
          resolve: (t) => {
            clearTimeout(timer);
            resolve(t);
          },
        });
        void exited.then(() => {
          if (!hit(re)) {
            clearTimeout(timer);
            reject(new Error(`dib exited before ${String(re)}; output:\n${text.slice(-3000)}`));
          }
        });
      });
    },
    exited,
  };
}

/** Poll until `fn` is true; resolves with the time it became true (or after `timeoutMs`, false). */
export async function pollUntil(fn: () => Promise<boolean>, timeoutMs: number): Promise<number | undefined> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    if (await fn()) return performance.now();
    if (performance.now() > end) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** sha256 of every file below `dir` (relative paths), to prove outputs byte-identical. */
export async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string) => {
    for (const e of (await fs.readdir(d, { withFileTypes: true }).catch(() => [])).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else out[path.relative(dir, p)] = createHash('sha256').update(await fs.readFile(p)).digest('hex');
    }
  };
  await walk(dir);
  return out;
}

/** What a build left behind in `dir` (its cwd, work dir below it): for the leak column. */
export async function leftovers(dir: string, workDir: string, marker: string): Promise<string[]> {
  const leaks: string[] = [];
  const procs = await processesWithMarker(marker);
  if (procs.length) leaks.push(`processes: ${procs.map((p) => `${p.pid} ${p.cmd}`).join('; ')}`);
  const mounts = await mountsUnder(dir);
  if (mounts.length) leaks.push(`mounts: ${mounts.join(', ')}`);
  const work = await fs.readdir(workDir).catch(() => [] as string[]);
  if (work.length) leaks.push(`work dir: ${work.join(', ')}`);
  const partial = (await fs.readdir(dir)).filter((n) => isDibTempOutput(n));
  if (partial.length) leaks.push(`partial outputs: ${partial.join(', ')}`);
  return leaks;
}

/** Send `signal` to the dib the test started; resolves with how it ended and how long it took. */
export async function stopWith(run: RunningDib, signal: NodeJS.Signals): Promise<{ exitCode?: number; signal?: string; seconds: number }> {
  const t0 = performance.now();
  run.child.kill(signal);
  const r = await run.exited;
  return { exitCode: r.exitCode, signal: r.signal, seconds: (r.at - t0) / 1000 };
}
