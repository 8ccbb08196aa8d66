/**
 * What a killed build leaves on disk, and how the next build takes it back.
 *
 * Every directory a build makes outside its sandbox's memory — the work dirs (`dib_build.*`,
 * `dib_image.*`) and the hidden staging directory of its outputs (`.dib-tmp-*` next to the
 * images) — holds a marker file that the build keeps locked (flock) while it runs. After
 * SIGKILL, an OOM kill or a crash the kernel drops the lock; the next `dib build` finds such
 * directories by their marker, unmounts anything still mounted below them in its own mount
 * table, removes them with `rm --one-file-system` (never following a mount) and says so.
 * Directories without the marker, or whose marker is locked by a running build, are never
 * touched.
 */
import { execa } from 'execa';
import fs from 'fs-extra';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mountsBelow, unmount } from '../chroot/mounts.js';
import { tryLockFile, type FileLock } from '../util/flock.js';
import type { Logger } from '../vocabulary.js';

/** The marker file's name inside a directory a build owns. */
export const OWNER_MARKER = '.dib-owner';
/** Prefix of the hidden directory where a build writes its outputs before renaming them into place. */
export const STAGING_PREFIX = '.dib-tmp-';
/** Prefixes of a build's work dirs below the work dir (TMP_BUILD_DIR, TMP_IMAGE_DIR). */
export const WORK_PREFIXES = ['dib_build.', 'dib_image.'] as const;

/**
 * Mark `dir` as this build's and hold the marker's lock until `release()` (call it after the
 * directory is removed) or until the process dies.
 */
export function claimDir(dir: string): FileLock {
  const marker = path.join(dir, OWNER_MARKER);
  writeFileSync(marker, `${JSON.stringify({ tool: 'dib', host: os.hostname(), started: new Date().toISOString(), argv: process.argv.slice(2) })}\n`, { mode: 0o600 });
  const lock = tryLockFile(marker);
  if (!lock) throw new Error(`could not lock ${marker}`);
  return lock;
}

const staging = new Map<string, { dir: string; lock: FileLock }>();
let exitHook = false;

/** Whatever is still staged when the process exits was not committed: it is not an output. */
function removeStagingAtExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const { dir, lock } of staging.values()) {
      fs.removeSync(dir);
      lock.release();
    }
  });
}

/**
 * This process's staging directory in `outDir` (made, marked and locked on first use): outputs
 * are written there and renamed into `outDir` when complete.
 */
export function stagingDir(outDir: string): string {
  const key = path.resolve(outDir);
  const known = staging.get(key);
  if (known && fs.existsSync(known.dir)) return known.dir;
  const dir = mkdtempSync(path.join(key, STAGING_PREFIX));
  staging.set(key, { dir, lock: claimDir(dir) });
  removeStagingAtExit();
  return dir;
}

/** Remove this process's staging directory in `outDir` when it holds nothing any more. */
export function releaseStagingDir(outDir: string): void {
  // synchronous: no other write can start in the directory between the look and the removal
  const key = path.resolve(outDir);
  const known = staging.get(key);
  if (!known) return;
  const left = (fs.existsSync(known.dir) ? fs.readdirSync(known.dir) : []).filter((n) => n !== OWNER_MARKER);
  if (left.length) return;
  staging.delete(key);
  fs.removeSync(known.dir);
  known.lock.release();
}

export interface SweepResult {
  removed: string[];
  /** stale but could not be removed, with why */
  kept: { path: string; why: string }[];
}

/**
 * Remove the stale directories of killed builds directly in `parent` whose names start with one
 * of `prefixes`: only real directories (not links) holding an unlocked marker.
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
    const lock = tryLockFile(marker);
    if (!lock) continue; // a running build holds it
    try {
      // a build that ran without the sandbox may have left mounts (in our table too): detach them
      for (const point of await mountsBelow(dir)) await unmount(point, log).catch(() => undefined);
      await execa('rm', ['-rf', '--one-file-system', dir], { reject: false });
      if (await fs.pathExists(dir)) {
        const still = await mountsBelow(dir);
        result.kept.push({ path: dir, why: still.length ? `still mounted: ${still.join(', ')}` : 'rm could not remove it' });
      } else {
        result.removed.push(dir);
      }
    } finally {
      lock.release();
    }
  }
  return result;
}

/**
 * The next build's clean-up after killed ones: stale work dirs in `workDir` and stale output
 * staging directories in `outDir`. Says what it removed (warning lines).
 */
export async function sweepLeftovers(opts: { workDir: string; outDir: string }, log: Logger): Promise<SweepResult> {
  const work = path.resolve(opts.workDir);
  const out = path.resolve(opts.outDir);
  const plan = work === out ? [[work, [...WORK_PREFIXES, STAGING_PREFIX]] as const] : [[work, WORK_PREFIXES] as const, [out, [STAGING_PREFIX]] as const];
  const all: SweepResult = { removed: [], kept: [] };
  for (const [dir, prefixes] of plan) {
    const r = await sweepStale(dir, prefixes, log);
    all.removed.push(...r.removed);
    all.kept.push(...r.kept);
  }
  for (const p of all.removed) {
    log.warn(`removed ${path.basename(p).startsWith(STAGING_PREFIX) ? 'the partial outputs' : 'the work dir'} ${p} left by a dib build that was killed`);
  }
  for (const k of all.kept) log.warn(`could not remove ${k.path}, left by a dib build that was killed (${k.why}); remove it by hand`);
  return all;
}
