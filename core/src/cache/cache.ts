/**
 * dib's cache directory (`~/.cache/dib`, `--image-cache`): bootstrapped roots and other tree
 * entries, the shared apt archive, downloads, shared between builds — and between containers
 * that mount the same directory. Every entry kind goes through this module: verified entries
 * (entries.ts), trees (tree.ts), and kernel-held locks (lock.ts) in `<cache>/locks/`.
 *
 * A cache that cannot be written (read-only, full) is not an error: the build goes on, uses
 * what it can read and stores nothing, with one warning saying so.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DibError } from '../errors.js';
import type { Cache, Logger } from '../vocabulary.js';
import { EntryStore, cacheWriteProblem } from './entries.js';
import { withFileLock, type LockOptions } from './lock.js';
import { TreeCache } from './tree.js';

export { acquireLock, withFileLock, isLocked } from './lock.js';
export type { LockOptions, HeldLock } from './lock.js';

export function defaultCacheDir(): string {
  return path.join(os.homedir(), '.cache', 'dib');
}

/** Below this much free space the cache is treated as full before anything is written. */
export const CACHE_MIN_FREE = 64 * 1024 * 1024;

/**
 * Hold an exclusive lock on `lockPath` while `fn` runs: flock(2) on that file, released by the
 * kernel when this process dies. (The name is historical: locks were once directories.)
 */
export function withDirLock<T>(lockPath: string, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  return withFileLock(lockPath, fn, opts);
}

function lockName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.+-]/g, '_');
}

export class DirCache implements Cache {
  private unwritable: string | undefined;
  private readonly stores = new Map<string, EntryStore>();
  private readonly trees_ = new Map<string, TreeCache>();

  constructor(
    readonly dir: string,
    readonly offline: boolean,
    readonly log?: Logger,
    /** the build's abort signal: lock waits and verification stop with it */
    readonly signal?: AbortSignal,
  ) {}

  /** False once the cache dir was found read-only or full: nothing more is stored. */
  get writable(): boolean {
    return this.unwritable === undefined;
  }

  /** Why the cache is not written to (undefined while it is). */
  get unwritableReason(): string | undefined {
    return this.unwritable;
  }

  markUnwritable(reason: string): void {
    if (this.unwritable !== undefined) return;
    this.unwritable = reason;
    this.log?.warn(`${reason} (${this.dir}): this build stores nothing more in the cache and goes on without it`);
  }

  /**
   * Check the cache dir before a build: create it, and find out whether it can be written.
   * Throws E_CACHE_DIR when the path cannot be a cache dir at all (a file, a dangling parent);
   * a read-only or full cache is only marked (a warning), since a build can go on without it.
   */
  async prepare(): Promise<void> {
    const st = await fs.stat(this.dir).catch(() => undefined);
    if (st && !st.isDirectory()) {
      throw new DibError('E_CACHE_DIR', `the cache dir ${this.dir} is not a directory`, {
        hint: 'point --image-cache (cacheDir, DIB_IMAGE_CACHE) at a directory, or remove the file that is in the way'
      });
    }
    try {
      await fs.mkdir(this.dir, { recursive: true });
    } catch (e) {
      const problem = cacheWriteProblem(e);
      if (!problem) {
        throw new DibError('E_CACHE_DIR', `cannot create the cache dir ${this.dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
          hint: 'point --image-cache (cacheDir, DIB_IMAGE_CACHE) at a directory dib can create'
        });
      }
      this.markUnwritable(problem);
      return;
    }
    const probe = path.join(this.dir, `.probe.dib-tmp-${randomBytes(4).toString('hex')}`);
    try {
      await fs.writeFile(probe, 'dib\n', { flag: 'wx' });
    } catch (e) {
      this.markUnwritable(cacheWriteProblem(e) ?? `the cache dir cannot be written (${(e as NodeJS.ErrnoException).code})`);
      return;
    } finally {
      await fs.rm(probe, { force: true }).catch(() => undefined);
    }
    const s = await fs.statfs(this.dir).catch(() => undefined);
    if (s && s.bavail * s.bsize < CACHE_MIN_FREE) this.markUnwritable(`the cache dir is full (${Math.round((s.bavail * s.bsize) / 1024)} KiB free)`);
  }

  path(...parts: string[]): string {
    const p = path.join(this.dir, ...parts);
    if (p !== this.dir && !p.startsWith(this.dir + path.sep)) {
      throw new DibError('E_INTERNAL', `cache path ${parts.join('/')} escapes the cache dir`);
    }
    return p;
  }

  /** `<cache>/locks/<name>.lock` */
  lockFile(name: string): string {
    return this.path('locks', `${lockName(name)}.lock`);
  }

  withLock<T>(name: string, fn: () => Promise<T>, opts: { shared?: boolean; timeoutMs?: number } = {}): Promise<T> {
    return withFileLock(this.lockFile(name), fn, { log: this.log, signal: this.signal, ...opts });
  }

  /** Verified file entries of one kind (`<cache>/<kind>/`). */
  entries(kind: string): EntryStore {
    let s = this.stores.get(kind);
    if (!s) {
      s = new EntryStore(this, kind);
      this.stores.set(kind, s);
    }
    return s;
  }

  /** Verified directory trees of one kind (`roots`, checkpoints). */
  trees(kind: string): TreeCache {
    let t = this.trees_.get(kind);
    if (!t) {
      t = new TreeCache(this.entries(kind));
      this.trees_.set(kind, t);
    }
    return t;
  }
}
