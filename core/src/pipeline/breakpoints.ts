/**
 * DIB's debugging aid: `break=before-install,after-error` (or `--break`) opens an interactive
 * shell at that point, in the chroot for chroot phases and on the host otherwise.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import { DibError } from '../errors.js';
import { createChrootRunner } from '../chroot/run.js';
import { didYouMean } from '../util/suggest.js';
import { PHASE_NAMES, type PhaseWhere } from '../contract/phases.js';
import type { Logger } from '../vocabulary.js';

export const BREAK_POINTS: readonly string[] = [...PHASE_NAMES.flatMap((p) => [`before-${p}`, `after-${p}`]), 'after-error'];

export interface Breakpoints {
  points: ReadonlySet<string>;
  /** `break_outside_target=1`: after-error shells on the host */
  outsideTarget?: boolean;
  /** command for host shells (`break_cmd`), default bash */
  hostCommand?: string;
}

/** Parse a comma list; unknown points and a missing terminal are errors before any work. */
export function parseBreakpoints(spec: string | undefined, opts: { isTTY: boolean; outsideTarget?: boolean; hostCommand?: string }): Breakpoints | undefined {
  if (!spec) return undefined;
  const points = spec
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const p of points) {
    if (!BREAK_POINTS.includes(p)) {
      throw new DibError('E_BREAK', `unknown break point '${p}'${didYouMean(p, BREAK_POINTS)}`, { hint: `use before-<phase>, after-<phase> or after-error (phases: ${PHASE_NAMES.join(', ')})` });
    }
  }
  if (!opts.isTTY) {
    throw new DibError('E_BREAK', `break=${points.join(',')} needs an interactive terminal, and none is attached`, {
      hint: 'run dib build from a terminal, or drop --break / the break variable',
    });
  }
  return { points: new Set(points), outsideTarget: opts.outsideTarget, hostCommand: opts.hostCommand };
}

export function breakpointRunner(
  bps: Breakpoints | undefined,
  opts: { root: string; env: Record<string, string>; log: Logger; mount: () => Promise<void> },
): (point: string, where: PhaseWhere) => Promise<void> {
  return async (point, where) => {
    if (!bps?.points.has(point)) return;
    const inTarget = where === 'chroot' && !(point === 'after-error' && bps.outsideTarget);
    opts.log.info(`break: ${point}: starting a shell ${inTarget ? 'in the chroot' : 'on the host'}; exit it to continue`);
    const env = { ...process.env, ...opts.env, PS1: `dib ${point} \\w# ` };
    if (inTarget) {
      await opts.mount();
      // DIB runs bash; a root without it (busybox) gets sh
      const shell = existsSync(`${opts.root}/bin/bash`) ? '/bin/bash' : '/bin/sh';
      const clean = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
      await createChrootRunner({ root: opts.root, log: opts.log, env: clean }).run(shell, ['-i'], { interactive: true, reject: false });
    } else {
      await execa(bps.hostCommand ?? 'bash', ['-i'], { env, stdio: 'inherit', reject: false, cwd: opts.root, shell: bps.hostCommand !== undefined });
    }
  };
}
