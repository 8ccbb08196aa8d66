/**
 * Command runners: on the host, and inside the target chroot. Every output line goes to the
 * logger; a failure becomes a DibError naming the command, with its last lines of output.
 */
import { execa } from 'execa';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { DibError } from '../errors.js';
import { commandLine } from '../util/shell.js';
import type { CommandRunner, Logger, RunOptions, RunResult } from '../vocabulary.js';

const TAIL_LINES = 20;

export interface RunnerOptions {
  log: Logger;
  /** cancels every running command (SIGINT/SIGTERM) */
  signal?: AbortSignal;
  /** base environment; RunOptions.env is added on top */
  env?: Record<string, string>;
}

function follow(stream: Readable | null | undefined, onLine: (line: string) => void): Promise<void> {
  if (!stream) return Promise.resolve();
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', onLine);
  return new Promise((resolve) => rl.once('close', () => resolve()));
}

function mergeEnv(base: Record<string, string> | undefined, extra: Record<string, string | undefined> | undefined): Record<string, string> {
  const env: Record<string, string> = { ...(base ?? {}) };
  for (const [k, v] of Object.entries(extra ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

interface ChildLike extends Promise<{
  exitCode?: number;
  signal?: string;
  stdout?: unknown;
  stderr?: unknown;
  failed: boolean;
  isCanceled: boolean;
  shortMessage?: string;
  message: string;
}> {
  stdout: Readable | null;
  stderr: Readable | null;
}

type RunAll = RunOptions & Omit<RunnerOptions, 'env'>;

/** Run one command with full control; shared by the host and chroot runners. */
export async function runCommand(
  display: string,
  file: string,
  args: readonly string[],
  env: Record<string, string>,
  options: RunAll,
): Promise<RunResult> {
  const { log } = options;
  log.debug(`run: ${display}`);
  if (options.signal?.aborted) throw new DibError('E_INTERRUPTED', `interrupted before running ${display}`);
  if (options.interactive) {
    const r = await execa(file, [...args], { env, extendEnv: false, stdio: 'inherit', reject: false, cwd: options.cwd, cancelSignal: options.signal });
    const exitCode = r.exitCode ?? 1;
    if (exitCode !== 0 && options.reject !== false) {
      throw new DibError('E_COMMAND_FAILED', `${display} exited with status ${exitCode}`);
    }
    return { exitCode, stdout: '', stderr: '' };
  }
  const child = execa(file, [...args], {
    env,
    extendEnv: false,
    cwd: options.cwd,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : undefined,
    reject: false,
    stripFinalNewline: false,
    cancelSignal: options.signal,
    forceKillAfterDelay: 5000,
    buffer: true,
    maxBuffer: 512 * 1024 * 1024,
  } as never) as unknown as ChildLike;
  if (options.onOutput) {
    const onOutput = options.onOutput;
    child.stdout?.on('data', (d: Buffer) => onOutput(d.toString()));
    child.stderr?.on('data', (d: Buffer) => onOutput(d.toString()));
  }
  const tail: string[] = [];
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  };
  const followers = [
    follow(child.stdout as Readable, (l) => {
      keep(l);
      if (!options.quiet) log.info(l);
    }),
    follow(child.stderr as Readable, (l) => {
      keep(l);
      if (!options.quiet) log.info(l);
    }),
  ];
  const r = await child;
  await Promise.all(followers);
  if (options.signal?.aborted || r.isCanceled) {
    throw new DibError('E_INTERRUPTED', `interrupted while running ${display}`);
  }
  const exitCode = r.exitCode ?? (r.signal ? 128 : 1);
  const result: RunResult = { exitCode, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
  if (exitCode !== 0 && options.reject !== false) {
    const why = r.failed && r.exitCode === undefined ? (r.signal ? `was killed by ${r.signal}` : `could not start (${r.shortMessage ?? r.message})`) : `exited with status ${exitCode}`;
    throw new DibError('E_COMMAND_FAILED', `${display} ${why}`, {
      details: tail.slice(-TAIL_LINES),
      hint: r.exitCode === undefined && !r.signal ? `install the program '${file}' on the host (see 'dib doctor')` : 'see the output above',
    });
  }
  return result;
}

export { commandLine } from '../util/shell.js';

const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A runner for host commands. */
export function createHostRunner(opts: RunnerOptions): CommandRunner {
  const base = opts.env ?? { PATH: process.env.PATH ?? HOST_PATH, LC_ALL: 'C' };
  return {
    withLogger: (log) => createHostRunner({ ...opts, log }),
    run(file, args = [], options = {}) {
      return runCommand(commandLine(file, args), file, args, mergeEnv(base, options.env), { log: opts.log, signal: opts.signal, ...options });
    },
    sh(script, options = {}) {
      return runCommand(script, 'sh', ['-c', script], mergeEnv(base, options.env), { log: opts.log, signal: opts.signal, ...options });
    },
  };
}

/** PATH inside the chroot, as DIB's run_in_target sets it. */
export const TARGET_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface ChrootRunnerOptions extends RunnerOptions {
  root: string;
  /** called before each command: makes sure proc/sys/dev are mounted */
  prepare?: () => Promise<void>;
}

/** A runner for commands inside `root` (chroot, HOME=/root, DIB's PATH, no TMPDIR). */
export function createChrootRunner(opts: ChrootRunnerOptions): CommandRunner {
  const base: Record<string, string> = { ...(opts.env ?? {}), HOME: '/root', PATH: TARGET_PATH, LC_ALL: 'C' };
  delete base.TMPDIR;
  delete base.VIRTUAL_ENV;
  const go = async (display: string, file: string, args: readonly string[], options: RunOptions) => {
    await opts.prepare?.();
    const env = mergeEnv(base, options.env);
    // chroot(8) execs the command with our PATH, looked up inside the new root.
    return runCommand(`chroot: ${display}`, 'chroot', [opts.root, file, ...args], env, {
      log: opts.log,
      signal: opts.signal,
      ...options,
      cwd: options.cwd ?? '/',
    });
  };
  return {
    withLogger: (log) => createChrootRunner({ ...opts, log }),
    run(file, args = [], options = {}) {
      return go(commandLine(file, args), file, args, options);
    },
    sh(script, options = {}) {
      return go(script, 'sh', ['-c', script], options);
    },
  };
}
