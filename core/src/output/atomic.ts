/**
 * Atomic output files: write to a temporary name in the destination directory, rename over
 * the destination only when complete. On failure or abort the temporary file is removed and
 * an existing destination is left untouched. Temporary files still alive when the process
 * exits (for example on an unhandled signal) are removed by an exit handler.
 */
import { rmSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { tempPathFor } from './naming.js';

const live = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const p of live) {
      try {
        rmSync(p, { force: true, recursive: true });
      } catch {
        /* best effort */
      }
    }
  });
}

/** Track a temporary path so it is removed if the process exits before it is settled. */
export function trackTemp(path: string): () => void {
  installExitHook();
  live.add(path);
  return () => {
    live.delete(path);
  };
}

/** Temporary paths currently tracked (for tests). */
export function liveTemps(): string[] {
  return [...live];
}

export interface AtomicWrite {
  /** the temporary path to write */
  tmp: string;
  /** rename the temporary file over the destination (idempotent) */
  commit(): Promise<void>;
  /** remove the temporary file (no-op after commit) */
  discard(): Promise<void>;
}

/** Start an atomic write of `dest`. */
export function beginAtomic(dest: string): AtomicWrite {
  const tmp = tempPathFor(dest);
  const untrack = trackTemp(tmp);
  let settled = false;
  return {
    tmp,
    async commit() {
      if (settled) return;
      await rename(tmp, dest);
      settled = true;
      untrack();
    },
    async discard() {
      if (settled) return;
      settled = true;
      await rm(tmp, { force: true, recursive: true });
      untrack();
    },
  };
}

/**
 * Produce `dest` through `fn(tmp)`: the destination appears (or is replaced) only when `fn`
 * resolves; when it throws, the temporary file is removed and the error rethrown.
 */
export async function writeAtomic<T>(dest: string, fn: (tmp: string) => Promise<T>): Promise<T> {
  const w = beginAtomic(dest);
  try {
    const r = await fn(w.tmp);
    await w.commit();
    return r;
  } catch (e) {
    await w.discard();
    throw e;
  }
}
