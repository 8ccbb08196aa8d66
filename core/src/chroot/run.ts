/**
 * Command runners: on the host, and inside the target chroot. Every output line goes to the
 * logger; a failure becomes a DibError naming the command, with its last lines of output.
 *
 * Containment (what DIB lacks): every command runs as the only child of dib-init in a PID
 * namespace of its own (`setpriv --pdeathsig KILL unshare --pid --fork --kill-child`), so
 *  - a command is finished when its main process exits, not when its pipes close: whatever it
 *    left running (`sleep 100000 &` in a DIB script, a daemon started by a postinst) is named in
 *    a warning and killed with the namespace, and never blocks the build;
 *  - on abort the main process gets SIGTERM, and after a grace period the whole namespace is
 *    killed (SIGKILL): descendants cannot outlive it;
 *  - if dib itself is killed, every command it runs dies with it.
 * Where namespaces are not available (`containment()` probes once), commands run directly as
 * before, and still count as finished when their main process exits.
 */
import { execa } from 'execa';
import os from 'node:os';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { DibError } from '../errors.js';
import { commandLine } from '../util/shell.js';
import type { CommandRunner, Logger, RunOptions, RunResult } from '../vocabulary.js';
import { childPids, findNamespaceTools, namespaceArgv, namespaceEnv, parseInitReport, signalProcess, type InitReport, type NamespaceTools } from './init.js';
import { findTool } from '../util/find-tool.js';

const TAIL_LINES = 20;
/** time a command gets between SIGTERM and SIGKILL of its namespace when the build is stopped */
export const STOP_GRACE_MS = 2000;
/** how long output pipes may stay open after the main process exited (direct runs only) */
const PIPE_GRACE_MS = 1000;

export interface RunnerOptions {
  log: Logger;
  /** cancels every running command (SIGINT/SIGTERM) */
  signal?: AbortSignal;
  /** base environment; RunOptions.env is added on top */
  env?: Record<string, string>;
}

let probed: Promise<NamespaceTools | undefined> | undefined;

/**
 * Whether commands can run in PID namespaces of their own here (root, util-linux unshare and
 * setpriv, perl): probed once per process by running `true` that way.
 */
export function containment(): Promise<NamespaceTools | undefined> {
  probed ??= (async () => {
    if (process.env.DIB_NO_COMMAND_NAMESPACES === '1') return undefined;
    const tools = findNamespaceTools();
    if ('missing' in tools) return undefined;
    const [file, args] = namespaceArgv(tools, 'command', ['true']);
    const r = await execa(file, args, { reject: false, stdio: 'ignore', timeout: 10_000, env: namespaceEnv(process.env), extendEnv: false });
    return r.exitCode === 0 ? tools : undefined;
  })();
  return probed;
}

interface Running {
  display: string;
  /** SIGTERM the main process now, SIGKILL everything after `graceMs` */
  stop(graceMs: number): void;
  done: Promise<unknown>;
}

const running = new Set<Running>();

/** Commands started by this process that have not finished. */
export function runningCommands(): string[] {
  return [...running].map((r) => r.display);
}

/**
 * Stop every command still running (SIGTERM, then SIGKILL after `graceMs`) and wait for them:
 * the first step of a build's cleanup, so nothing runs in the tree while it is unmounted.
 */
export async function stopRunningCommands(graceMs = STOP_GRACE_MS): Promise<void> {
  const all = [...running];
  for (const r of all) r.stop(graceMs);
  await Promise.all(all.map((r) => r.done.catch(() => undefined)));
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
  stdio: unknown[];
  failed: boolean;
  shortMessage?: string;
  message: string;
}> {
  pid?: number;
  stdout: Readable | null;
  stderr: Readable | null;
  stdio: Array<Readable | null>;
  kill(signal?: NodeJS.Signals | number): boolean;
  on(event: 'exit', fn: () => void): this;
}

type RunAll = RunOptions & Omit<RunnerOptions, 'env'>;

function signalName(n: number): string {
  return Object.entries(os.constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;
}

function errnoName(n: number): string {
  return Object.entries(os.constants.errno).find(([, v]) => v === n)?.[0] ?? `errno ${n}`;
}

function shortDisplay(display: string): string {
  const first = display.split('\n')[0]!;
  return first.length > 80 || display.includes('\n') ? `${first.slice(0, 77)}…` : first;
}

/** Run one command with full control; shared by the host and chroot runners. */
export async function runCommand(
  display: string,
  file: string,
  args: readonly string[],
  env: Record<string, string>,
  options: RunAll,
): Promise<RunResult> {
  const { log, signal } = options;
  log.debug(`run: ${display}`);
  if (signal?.aborted) throw new DibError('E_INTERRUPTED', `interrupted before running ${display}`);
  const contained = await containment();
  const [cmd, argv] = contained ? namespaceArgv(contained, 'command', [file, ...args]) : [file, [...args]];
  const interactive = options.interactive === true;
  // execa's result type is computed from literal options; these are chosen at run time (stdio,
  // input), which its overloads cannot follow: the child is typed by what this module uses of it
  const child = execa(cmd, argv, {
    env: contained ? namespaceEnv(env) : env,
    extendEnv: false,
    cwd: options.cwd,
    ...(interactive ? {} : { input: options.input }),
    stdio: interactive ? ['inherit', 'inherit', 'inherit', 'pipe'] : [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe', contained ? 'pipe' : 'ignore'],
    reject: false,
    stripFinalNewline: false,
    buffer: true,
    maxBuffer: 512 * 1024 * 1024,
  } as never) as unknown as ChildLike;

  // stop: SIGTERM to the main process (through dib-init), SIGKILL of the namespace after the grace
  let killAt = Infinity;
  let killTimer: NodeJS.Timeout | undefined;
  const killAll = () => {
    if (contained) for (const p of childPids(child.pid ?? -1)) signalProcess(p, 'SIGKILL');
    child.kill('SIGKILL');
  };
  const entry: Running = {
    display,
    stop(graceMs) {
      // a later, shorter stop (a second signal) brings the SIGKILL forward
      if (Date.now() + graceMs >= killAt) return;
      const first = killAt === Infinity;
      killAt = Date.now() + graceMs;
      clearTimeout(killTimer);
      killTimer = setTimeout(killAll, graceMs);
      if (!first) return;
      const init = contained ? childPids(child.pid ?? -1)[0] : undefined;
      if (contained && init === undefined) killAll();
      else if (init !== undefined) signalProcess(init, 'SIGTERM');
      else child.kill('SIGTERM');
    },
    done: child,
  };
  running.add(entry);
  const onAbort = () => entry.stop(STOP_GRACE_MS);
  signal?.addEventListener('abort', onAbort, { once: true });
  // finished when the main process exits: output pipes held open by something that escaped get a moment, then are closed
  child.on('exit', () => {
    setTimeout(() => {
      for (const s of child.stdio) s?.destroy();
    }, PIPE_GRACE_MS).unref();
  });

  const tail: string[] = [];
  const keep = (line: string) => {
    tail.push(line);
    if (tail.length > TAIL_LINES) tail.shift();
  };
  let followers: Promise<void>[] = [];
  if (!interactive) {
    if (options.onOutput) {
      const onOutput = options.onOutput;
      child.stdout?.on('data', (d: Buffer) => onOutput(d.toString()));
      child.stderr?.on('data', (d: Buffer) => onOutput(d.toString()));
    }
    const onLine = (l: string) => {
      keep(l);
      if (!options.quiet) log.info(l);
    };
    followers = [follow(child.stdout, onLine), follow(child.stderr, onLine)];
  }
  let r;
  try {
    r = await child;
    await Promise.all(followers);
  } finally {
    clearTimeout(killTimer);
    signal?.removeEventListener('abort', onAbort);
    running.delete(entry);
  }
  const report: InitReport = contained ? parseInitReport(String(r.stdio[3] ?? '')) : { left: [] };
  for (const p of report.left) {
    log.warn(`killed process ${p.pid} (${p.command}) left running by ${shortDisplay(display)}`);
  }
  if (signal?.aborted) {
    throw new DibError('E_INTERRUPTED', `interrupted while running ${display}`);
  }
  const killedBy = report.exit && 'signal' in report.exit ? signalName(report.exit.signal) : contained ? undefined : r.signal;
  const exitCode = report.exit && 'code' in report.exit ? report.exit.code : killedBy ? 128 + (os.constants.signals[killedBy as NodeJS.Signals] ?? 0) : (r.exitCode ?? 1);
  const result: RunResult = { exitCode, stdout: interactive ? '' : String(r.stdout ?? ''), stderr: interactive ? '' : String(r.stderr ?? '') };
  if (exitCode === 0 || options.reject === false) return result;
  const notStarted = report.execError ? `${errnoName(report.execError.errno)}: ${report.execError.message}` : !contained && r.failed && r.exitCode === undefined && !r.signal ? (r.shortMessage ?? r.message) : undefined;
  const why = notStarted ? `could not start (${notStarted})` : killedBy ? `was killed by ${killedBy}` : `exited with status ${exitCode}`;
  throw new DibError('E_COMMAND_FAILED', `${display} ${why}`, {
    details: tail.slice(-TAIL_LINES),
    hint: notStarted ? `install the program '${file}' on the host (see 'dib doctor')` : 'see the output above',
  });
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
    return runCommand(`chroot: ${display}`, findTool('chroot') ?? 'chroot', [opts.root, file, ...args], env, {
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
