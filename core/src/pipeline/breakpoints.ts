/**
 * DIB's debugging aid: `break=before-install,after-error` (or `--break`) stops the build at
 * those points. What runs there is DIB's choice:
 *  - `before-<host phase>` and `after-error`: `break_cmd` when set (a shell command line, run
 *    with the build's environment: TMP_MOUNT_PATH, TMP_BUILD_DIR, …), else an interactive bash;
 *  - `before-<chroot phase>` and every `after-<phase>`: an interactive shell;
 *  - in the chroot for chroot phases, on the host for host phases; `break_outside_target=1`
 *    runs after-error on the host.
 * Only points that open an interactive shell need a terminal: upstream's functional-test
 * harness (`break=after-error break_outside_target=1 break_cmd="cp … || true"`) runs in CI.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { DibError, EXIT_USAGE } from '../errors.js';
import { createChrootRunner } from '../chroot/run.js';
import { didYouMean } from '../util/suggest.js';
import { PHASE_NAMES, phaseInfo, type PhaseName, type PhaseWhere } from '../contract/phases.js';
import type { CommandRunner, Logger } from '../vocabulary.js';

export const BREAK_POINTS: readonly string[] = [...PHASE_NAMES.flatMap((p) => [`before-${p}`, `after-${p}`]), 'after-error'];

export interface Breakpoints {
  points: ReadonlySet<string>;
  /** `break_outside_target=1`: after-error runs on the host */
  outsideTarget?: boolean;
  /** `break_cmd`: the command for before-<host phase> and after-error, instead of a shell */
  hostCommand?: string;
}

/** Whether `point` runs `break_cmd` (when one is set) rather than an interactive shell, as DIB. */
export function usesBreakCommand(point: string): boolean {
  if (point === 'after-error') return true;
  if (!point.startsWith('before-')) return false;
  return phaseInfo(point.slice('before-'.length) as PhaseName).where === 'host';
}

/** Parse a comma list; unknown points, and shells without a terminal, are errors before any work. */
export function parseBreakpoints(spec: string | undefined, opts: { isTTY: boolean; outsideTarget?: boolean; hostCommand?: string }): Breakpoints | undefined {
  if (!spec) return undefined;
  const points = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const p of points) {
    if (!BREAK_POINTS.includes(p)) {
      throw new DibError('E_BREAK', `unknown break point '${p}'${didYouMean(p, BREAK_POINTS)}`, { hint: `use before-<phase>, after-<phase> or after-error (phases: ${PHASE_NAMES.join(', ')})`, exitCode: EXIT_USAGE });
    }
  }
  const hostCommand = opts.hostCommand?.trim() ? opts.hostCommand : undefined;
  const shells = points.filter((p) => !(hostCommand && usesBreakCommand(p)));
  if (shells.length > 0 && !opts.isTTY) {
    throw new DibError('E_BREAK', `break=${shells.join(',')} needs an interactive terminal, and none is attached`, {
      exitCode: EXIT_USAGE,
      hint: hostCommand
        ? `break_cmd runs only at before-<host phase> and after-error; ${shells.join(', ')} open${shells.length === 1 ? 's' : ''} a shell: run dib build from a terminal, or drop ${shells.length === 1 ? 'it' : 'them'}`
        : 'run dib build from a terminal, set break_cmd to a command (it runs at before-<host phase> and after-error), or drop --break / the break variable',
    });
  }
  return { points: new Set(points), outsideTarget: opts.outsideTarget, ...(hostCommand ? { hostCommand } : {}) };
}

export interface BreakpointContext {
  root: string;
  env: Record<string, string>;
  log: Logger;
  mount: () => Promise<void>;
  /** runs break_cmd on the host and in the chroot (output logged, as DIB's is) */
  host: CommandRunner;
  target: CommandRunner;
}

export function breakpointRunner(bps: Breakpoints | undefined, opts: BreakpointContext): (point: string, where: PhaseWhere) => Promise<void> {
  return async (point, where) => {
    if (!bps?.points.has(point)) return;
    const inTarget = where === 'chroot' && !(point === 'after-error' && bps.outsideTarget);
    const place = inTarget ? 'in the chroot' : 'on the host';
    if (bps.hostCommand && usesBreakCommand(point)) {
      opts.log.info(`break: ${point}: running break_cmd ${place}: ${bps.hostCommand}`);
      const runner = inTarget ? opts.target : opts.host;
      if (inTarget) await opts.mount();
      const r = await runner.run('bash', ['-c', bps.hostCommand], { env: opts.env, reject: false });
      if (r.exitCode !== 0) {
        // the build is failing already at after-error; elsewhere DIB's `set -e` stops it
        if (point === 'after-error') opts.log.warn(`break: after-error: break_cmd exited with status ${r.exitCode}`);
        else throw new DibError('E_BREAK', `break: ${point}: break_cmd exited with status ${r.exitCode}`, { hint: `fix break_cmd (${bps.hostCommand}) or add '|| true'` });
      }
      return;
    }
    opts.log.info(`break: ${point}: starting a shell ${place}; exit it to continue`);
    const env = { ...process.env, ...opts.env, PS1: `dib ${point} \\w# ` };
    if (inTarget) {
      await opts.mount();
      // DIB runs bash; a root without it (busybox) gets sh
      const shell = existsSync(`${opts.root}/bin/bash`) ? '/bin/bash' : '/bin/sh';
      const clean = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
      await createChrootRunner({ root: opts.root, log: opts.log, env: clean }).run(shell, ['-i'], { interactive: true, reject: false });
    } else {
      await execa('bash', ['-i'], { env, stdio: 'inherit', reject: false, cwd: opts.root });
    }
  };
}
