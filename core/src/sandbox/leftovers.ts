/**
 * What a killed build leaves on disk, and how the next build takes it back.
 *
 * Every work dir a build makes (`dib_build.*`, `dib_image.*`) holds a marker file that the
 * build keeps locked (flock, cache/lock.ts) while it runs. After SIGKILL, an OOM kill or a crash
 * the kernel drops the lock; the next `dib build` finds such directories by their marker,
 * unmounts anything still mounted below them in its own mount table (a build that ran without
 * the sandbox), removes them with `rm --one-file-system` (never following a mount) and says so.
 * Directories without the marker, or whose marker is locked by a running build, are never
 * touched. (The outputs a killed build left staged next to the images are the output set's:
 * output/set.ts sweeps them the same way.)
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import path from 'node:path';
import { acquireLock, isLocked, type HeldLock } from '../cache/lock.js';
import { mountsBelow, unmount } from '../chroot/mounts.js';
import type { Logger } from '../vocabulary.js';

/** The marker file's name inside a directory a build owns (it holds the owner's pid and host). */
export const OWNER_MARKER = '.dib-owner';
/** Prefixes of a build's work dirs below the work dir (TMP_BUILD_DIR, TMP_IMAGE_DIR). */
export const WORK_PREFIXES = ['dib_build.', 'dib_image.'] as const;

/**
 * Mark `dir` as this build's and hold the marker's lock until `release()` (call it after the
 * directory is removed) or until the process dies.
 */
export function claimDir(dir: string): Promise<HeldLock> {
  return acquireLock(path.join(dir, OWNER_MARKER), { timeoutMs: 0 });
}

export interface SweepResult {
  removed: string[];
  /** stale but could not be removed, with why */
  kept: { path: string; why: string }[];
}

/**
 * Remove the stale directories of killed builds directly in `parent` whose names start with one
 * of `prefixes`: only real directories (not links) holding a marker that nobody holds locked.
 */
export async function sweepStale(parent: string, prefixes: readonly string[], log: Logger): Promise<SweepResult> {
  const result: SweepResult = { removed: [], kept: [] };
  const names = await fs.readdir(parent).catch(() => [] as string[]);
  for (const name of names) {
    if (!prefixes.some((p) => name.startsWith(p))) continue;
    const dir = path.join(parent, name);
    const st = await fs.lstat(dir).catch(() => undefined);
    if (!st?.isDirectory()) continue;
    const marker = path.join(dir, OWNER_MARKER);
    const mst = await fs.lstat(marker).catch(() => undefined);
    if (!mst?.isFile()) continue; // not made by this dib, or not ours to judge
    if (await isLocked(marker)) continue; // a running build's
    // a build that ran without the sandbox may have left mounts (in our table too): detach them
    for (const point of await mountsBelow(dir)) await unmount(point, log).catch(() => undefined);
    await execa('rm', ['-rf', '--one-file-system', dir], { reject: false });
    if (await fs.pathExists(dir)) {
      const still = await mountsBelow(dir);
      result.kept.push({ path: dir, why: still.length ? `still mounted: ${still.join(', ')}` : 'rm could not remove it' });
    } else {
      result.removed.push(dir);
    }
  }
  return result;
}

/** The next build's clean-up after killed ones: their work dirs in `workDir`. Says what it removed. */
export async function sweepLeftovers(opts: { workDir: string }, log: Logger): Promise<SweepResult> {
  const r = await sweepStale(opts.workDir, WORK_PREFIXES, log);
  for (const p of r.removed) log.warn(`removed the work dir ${p} left by a dib build that was killed`);
  for (const k of r.kept) log.warn(`could not remove ${k.path}, left by a dib build that was killed (${k.why}); remove it by hand`);
  return r;
}
