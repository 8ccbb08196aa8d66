/**
 * The process the user started supervises the build's sandbox, as systemd-nspawn and
 * bubblewrap (`--die-with-parent`) supervise their container:
 *  - the sandbox shares the terminal (stdio inherited), so the output is the build's own:
 *    progress line, log, `--json` events;
 *  - SIGINT, SIGTERM and SIGHUP are forwarded to the sandbox's init, which passes them to dib
 *    inside; a second signal kills the sandbox at once (SIGKILL of its init: the kernel kills
 *    every process in it and drops every mount);
 *  - if the supervisor itself is killed, the sandbox dies with it (setpriv --pdeathsig and
 *    unshare --kill-child);
 *  - the exit status is the build's (130, 143, 129 when a signal stopped it, as a shell reports
 *    death by that signal).
 */
import { execa } from 'execa';
import os from 'node:os';
import { childPids, namespaceArgv, namespaceEnv, parseInitReport, signalProcess, type NamespaceTools } from '../chroot/init.js';
import { SANDBOX_ENV } from './namespaces.js';

/** After the first signal, the sandbox gets this long to clean up before it is killed. */
export const STOP_WATCHDOG_MS = 15_000;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface SuperviseOptions {
  /** the dib command to run inside: [node, …execArgv, cli, 'build', …args] */
  command: readonly string[];
  /** where the supervisor's own lines go (stderr) */
  say?: (line: string) => void;
}

/** Run the build in its sandbox and return its exit status. */
export async function superviseBuild(tools: NamespaceTools, opts: SuperviseOptions): Promise<number> {
  const say = opts.say ?? ((l: string) => process.stderr.write(`${l}\n`));
  const [file, args] = namespaceArgv(tools, 'sandbox', opts.command);
  const child = execa(file, args, {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    env: namespaceEnv({ ...process.env, [SANDBOX_ENV]: '1' }),
    extendEnv: false,
    reject: false,
    buffer: true,
  });
  let first: NodeJS.Signals | undefined;
  let killed = false;
  let watchdog: NodeJS.Timeout | undefined;
  const kill = () => {
    killed = true;
    for (const p of childPids(child.pid ?? -1)) signalProcess(p, 'SIGKILL');
    child.kill('SIGKILL');
  };
  const onSignal = (sig: NodeJS.Signals) => {
    if (first === undefined) {
      first = sig;
      const init = childPids(child.pid ?? -1)[0];
      if (init === undefined) kill();
      else signalProcess(init, sig);
      watchdog = setTimeout(() => {
        say(`dib: the build did not stop within ${STOP_WATCHDOG_MS / 1000} s of ${sig}: killing its sandbox`);
        kill();
      }, STOP_WATCHDOG_MS);
    } else if (!killed) {
      say(`dib: ${sig} again: killing the build's sandbox now (every process in it, every mount)`);
      kill();
    }
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  let r;
  try {
    r = await child;
  } finally {
    for (const s of SIGNALS) process.off(s, onSignal);
    clearTimeout(watchdog);
  }
  const report = parseInitReport(String(r.stdio[3] ?? ''));
  if (report.left.length) {
    say(`dib: warning: the build left ${report.left.length} process${report.left.length === 1 ? '' : 'es'} running, killed with its sandbox: ${report.left.map((p) => `${p.pid} (${p.command})`).join(', ')}`);
  }
  const signum = (s: NodeJS.Signals) => os.constants.signals[s];
  if (killed) {
    say(`dib: the build was killed; nothing of it runs or is mounted any more, and the next dib build removes its work dir and partial outputs`);
    return 128 + signum(first ?? 'SIGKILL');
  }
  if (report.exit) return 'code' in report.exit ? report.exit.code : 128 + report.exit.signal;
  // the sandbox itself failed (unshare could not start dib-init)
  return r.exitCode ?? (r.signal ? 128 + signum(r.signal as NodeJS.Signals) : 1);
}
