/**
 * The tree cache: a directory tree stored under a key as one verified entry (a tar archive,
 * zstd-compressed when zstd is installed, with numeric owners, xattrs and ACLs), restored only
 * after its checksum has been verified. Bootstrapped roots use it; so can phase checkpoints:
 * the owner computes the key and the inputs, the tree cache stores, verifies, evicts and locks.
 */
import { accessSync, constants, promises as fs } from 'node:fs';
import path from 'node:path';
import type { CommandRunner, TreeStore, TreeStoreOptions } from '../vocabulary.js';
import type { EntryManifest, EntryStore } from './entries.js';

/** tar flags that keep what a root needs: numeric owners, xattrs (capabilities), ACLs. */
export const TREE_TAR_FLAGS = ['--numeric-owner', '--xattrs', '--xattrs-include=*', '--acls'];

export interface TreeRestoreOptions {
  host: CommandRunner;
}

export interface TreeHit {
  manifest: EntryManifest;
  /** seconds spent verifying and unpacking */
  seconds: number;
}

export interface TreeMakeResult {
  /** true when the tree came from the cache */
  hit: boolean;
  /** the stored entry (undefined when it could not be stored: a warning said why) */
  manifest?: EntryManifest;
  /** the reason a corrupt entry was evicted on the way, if one was */
  evicted?: string;
}

function zstdInstalled(searchPath = process.env.PATH ?? ''): boolean {
  for (const d of [...searchPath.split(':'), '/usr/bin', '/bin']) {
    if (!d) continue;
    try {
      accessSync(path.join(d, 'zstd'), constants.X_OK);
      return true;
    } catch {
      /* next */
    }
  }
  return false;
}

function secondsSince(t0: number): number {
  return Math.round((performance.now() - t0) / 100) / 10;
}

export class TreeCache implements TreeStore {
  constructor(readonly entries: EntryStore) {}

  get kind(): string {
    return this.entries.kind;
  }

  /** The manifest of a stored tree (unverified), or undefined. */
  async manifest(key: string): Promise<EntryManifest | undefined> {
    const m = await this.entries.manifest(key);
    return m === 'corrupt' ? undefined : m;
  }

  /**
   * Unpack the tree stored under `key` into `dir` (created if missing; existing files are
   * overwritten) after verifying it. Undefined on a miss; a corrupt entry is evicted with a
   * warning and is a miss too. A tar failure while unpacking a verified entry is thrown.
   */
  async restore(key: string, dir: string, opts: TreeRestoreOptions): Promise<TreeHit | undefined> {
    const t0 = performance.now();
    await fs.mkdir(dir, { recursive: true });
    const r = await this.entries.use(key, async (file, manifest) => {
      const compressed = manifest.meta?.compression === 'zstd';
      await opts.host.run(
        'tar',
        ['--extract', `--file=${file}`, `--directory=${dir}`, ...TREE_TAR_FLAGS, '--preserve-permissions', '--same-owner', ...(compressed ? ['--use-compress-program=zstd -q'] : [])],
        { quiet: true },
      );
    });
    return r.hit ? { manifest: r.manifest, seconds: secondsSince(t0) } : undefined;
  }

  /** Store `dir` under `key`. Undefined when it could not be stored (a warning says why). */
  store(key: string, dir: string, opts: TreeStoreOptions): Promise<EntryManifest | undefined> {
    return this.storeTree(key, dir, opts, false);
  }

  private storeTree(key: string, dir: string, opts: TreeStoreOptions, makeLockHeld: boolean): Promise<EntryManifest | undefined> {
    const zstd = zstdInstalled();
    return this.entries.put(
      key,
      async (tmp) => {
        await opts.host.run(
          'tar',
          [
            '--create',
            `--file=${tmp}`,
            `--directory=${dir}`,
            ...TREE_TAR_FLAGS,
            '--one-file-system',
            ...(opts.excludes ?? []).map((x) => `--exclude=${x}`),
            ...(zstd ? ['--use-compress-program=zstd -T0 -3 -q'] : []),
            '.',
          ],
          { quiet: true },
        );
      },
      { ext: zstd ? 'tar.zst' : 'tar', inputs: opts.inputs, meta: { ...opts.meta, compression: zstd ? 'zstd' : 'none' }, makeLockHeld },
    );
  }

  /**
   * The tree of `key` in `dir`: restored when the cache has it, else made by `make(dir)` and
   * stored. Concurrent callers with the same key make it once (the others wait and restore it).
   * `usable(manifest)` may refuse an entry that is intact but too old.
   */
  async restoreOrMake(
    key: string,
    dir: string,
    make: () => Promise<void>,
    opts: TreeStoreOptions & { usable?: (m: EntryManifest) => boolean; onHit?: (hit: TreeHit) => void },
  ): Promise<TreeMakeResult> {
    const tryRestore = async (): Promise<TreeMakeResult | undefined> => {
      const m = await this.manifest(key);
      if (m && opts.usable && !opts.usable(m)) return undefined;
      const hit = await this.restore(key, dir, opts);
      if (!hit) return undefined;
      opts.onHit?.(hit);
      return { hit: true, manifest: hit.manifest };
    };
    // a committed entry appears by rename: no make lock is needed to use one
    const first = await tryRestore();
    if (first) return first;
    return this.entries.withMakeLock(key, async () => {
      const again = await tryRestore(); // another build made it while we waited
      if (again) return again;
      await make();
      const manifest = await this.storeTree(key, dir, opts, true);
      return manifest ? { hit: false, manifest } : { hit: false };
    });
  }
}
