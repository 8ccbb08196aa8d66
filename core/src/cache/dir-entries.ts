/**
 * Directory entries of the cache: `<cache>/<kind>/<key>/` holds a tree that is used where it
 * lies, never unpacked — a phase checkpoint's layer (an overlayfs lower directory) or a
 * build's cached outputs — with its stat index in `<key>/index`, and `<kind>/<key>.json`
 * beside it, the manifest: what the key was made from, the index's sha256, the entry it was
 * made on (`parent`). The manifest is written last, by rename: it is the commit, so a reader
 * never sees half an entry, and a directory without a manifest (a writer that was killed) is
 * no entry. Every use verifies the tree against its index first (dir-index.ts says why an
 * index of inode change times and not a checksum of every byte); an entry that fails is
 * evicted with a warning and is a miss.
 *
 * Locks, per key (lock.ts): `<kind>-<key>.lock` is held shared by every build that uses the
 * entry, for as long as it uses it (an overlay mount reads it until the build ends), and
 * exclusive to commit, evict or prune it — pruning skips entries in use instead of waiting;
 * `<kind>-<key>.make.lock` is held by whoever commits the key, so two builds that made the same
 * tree commit it once.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { DibError, isDibError } from '../errors.js';
import { indexDifference, indexDir, indexText, indexTextSha256, parseIndexText } from './dir-index.js';
import { assertKey, CACHE_TEMP_MARKER, cacheWriteProblem, KeyedStore, readManifestFile, type EntryHost } from './entries.js';
import { acquireLock, withFileLock, type HeldLock } from './lock.js';

/** Bump when the layout of a directory entry changes. */
export const DIR_ENTRY_FORMAT = 1;
const INDEX = 'index';
const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,199}$/;

export interface DirEntryManifest {
  format: number;
  kind: string;
  key: string;
  /** ISO time the entry was committed */
  created: string;
  /** bytes of regular files in the entry */
  bytes: number;
  /** files, directories and links in the entry */
  entries: number;
  /** sha256 of the stat index: the identity of this very tree (an entry made again gets another) */
  instance: string;
  /** the entry this one was made on top of (a checkpoint layer's lower layer) */
  parent?: { key: string; instance: string };
  /** what the key was computed from (compared to explain a miss) */
  inputs: unknown;
  /** anything else its owner keeps with it (the image, the phase, timings) */
  meta?: Record<string, unknown>;
}

export interface OpenedEntry {
  key: string;
  /** `<cache>/<kind>/<key>` */
  dir: string;
  manifest: DirEntryManifest;
  /** drop the shared lock (the entry may be pruned from then on) */
  release(): Promise<void>;
}

export type OpenResult = { ok: true; entry: OpenedEntry } | { ok: false; missing: true } | { ok: false; missing: false; reason: string };

export type CommitResult =
  | { committed: true; manifest: DirEntryManifest; dir: string; /** with `keepShared`: drop the shared lock */ release?: () => Promise<void> }
  | { committed: false; reason: string; existing?: DirEntryManifest };

export interface CommitSource {
  /** move or copy the tree into `dir` (an empty directory inside the cache) */
  fill(dir: string): Promise<void>;
  /** the commit failed after `fill`: take the tree back from `dir` */
  unfill?(dir: string): Promise<void>;
}

export interface ListedEntry {
  manifest: DirEntryManifest;
  /** when a build last used (or made) it */
  lastUsed: Date;
}


function isInterrupt(e: unknown, signal?: AbortSignal): boolean {
  return (isDibError(e) && e.code === 'E_INTERRUPTED') || !!signal?.aborted;
}

async function exists(p: string): Promise<boolean> {
  return fs.lstat(p).then(
    () => true,
    () => false,
  );
}

/** A lock we only take if nobody holds it (undefined: busy). */
async function tryLock(file: string, host: EntryHost, shared = false): Promise<HeldLock | undefined> {
  try {
    return await acquireLock(file, { shared, timeoutMs: 0, log: host.log, quietMs: 60_000, ...(host.signal ? { signal: host.signal } : {}) });
  } catch (e) {
    if (isDibError(e) && e.code === 'E_LOCK') return undefined;
    throw e;
  }
}

export class DirEntryStore extends KeyedStore {
  entryDir(key: string): string {
    assertKey(this.kind, key);
    return path.join(this.dir, key);
  }

  /** The manifest of `key`, unverified; undefined when there is none, 'corrupt' when unreadable. */
  async manifest(key: string): Promise<DirEntryManifest | 'corrupt' | undefined> {
    return readManifestFile<DirEntryManifest>(
      this.manifestPath(key),
      (m) => m.format === DIR_ENTRY_FORMAT && m.key === key && m.kind === this.kind && typeof m.instance === 'string' && typeof m.created === 'string',
    );
  }

  /** Why the tree of `m` is not the one committed (undefined when it is). */
  async problem(key: string, m: DirEntryManifest): Promise<string | undefined> {
    const dir = this.entryDir(key);
    let text: string;
    try {
      text = await fs.readFile(path.join(dir, INDEX), 'utf8');
    } catch {
      return (await exists(dir)) ? 'its index is missing' : 'its directory is missing';
    }
    if (indexTextSha256(text) !== m.instance) return 'its index does not match the manifest';
    const now = await indexDir(dir, { skip: [INDEX], ...(this.host.signal ? { signal: this.host.signal } : {}) });
    if (now.sha256 === m.instance) return undefined;
    return indexDifference(parseIndexText(text), now.lines) ?? 'its tree does not match its index';
  }

  /**
   * Use the entry of `key`: a shared lock is taken and held until `release()`, then the tree
   * is verified. `refuse(manifest)` may turn down an intact entry (too old), with the reason.
   * A corrupt entry is evicted (unless another build is using it) and reported with the reason.
   */
  async open(key: string, refuse?: (m: DirEntryManifest) => string | undefined): Promise<OpenResult> {
    const lock = await acquireLock(this.lockFiles(key).entry, { shared: true, log: this.host.log, ...(this.host.signal ? { signal: this.host.signal } : {}) });
    let bad: string | undefined;
    try {
      const m = await this.manifest(key);
      if (m === undefined) {
        await lock.release();
        return { ok: false, missing: true };
      }
      if (m === 'corrupt') bad = 'its manifest is unreadable';
      else {
        const refused = refuse?.(m);
        if (refused) {
          await lock.release();
          return { ok: false, missing: false, reason: refused };
        }
        bad = await this.problem(key, m);
        if (!bad) {
          // the manifest's mtime is the entry's last use (dib cache ls, prune --older-than)
          const t = new Date();
          await fs.utimes(this.manifestPath(key), t, t).catch(() => undefined);
          return { ok: true, entry: { key, dir: this.entryDir(key), manifest: m, release: () => lock.release() } };
        }
      }
    } catch (e) {
      await lock.release();
      throw e;
    }
    await lock.release();
    this.host.log?.warn(`cache entry ${this.kind}/${key} is corrupt: ${bad}; it is not used`);
    if (this.host.writable) await this.evict(key);
    return { ok: false, missing: false, reason: `the cached entry was corrupt (${bad})` };
  }

  /** Remove a corrupt entry if nobody is using it (it stays ignored otherwise). */
  private async evict(key: string): Promise<void> {
    const lock = await tryLock(this.lockFiles(key).entry, this.host);
    if (!lock) return;
    try {
      const m = await this.manifest(key);
      if (m === undefined) return;
      if (m !== 'corrupt' && !(await this.problem(key, m))) return; // made again meanwhile
      await this.removeLocked(key);
      this.host.log?.info(`removed the corrupt cache entry ${this.kind}/${key}; it will be made again`);
    } catch (e) {
      this.host.log?.warn(`could not remove the corrupt cache entry ${this.kind}/${key}: ${(e as Error).message}`);
    } finally {
      await lock.release();
    }
  }

  /** Manifest first (no reader takes the tree for complete any more), then the tree. */
  private async removeLocked(key: string): Promise<void> {
    await fs.rm(this.manifestPath(key), { force: true });
    await this.removeTree(this.entryDir(key));
  }

  private async removeTree(dir: string): Promise<void> {
    if (!(await exists(dir))) return;
    // aside first (one rename), then gone: a tree half removed is never at the entry's name
    const aside = path.join(this.dir, `.${path.basename(dir)}.removing${CACHE_TEMP_MARKER}${randomBytes(4).toString('hex')}`);
    await fs.rename(dir, aside);
    await execa('rm', ['-rf', '--one-file-system', aside]);
  }

  /** Temporary and orphaned directories of `key` (writers that died); call holding its make lock. */
  private async sweepKey(key: string): Promise<void> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const n of names) {
      if (n.startsWith(`.${key}.`) && n.includes(CACHE_TEMP_MARKER)) await execa('rm', ['-rf', '--one-file-system', path.join(this.dir, n)]);
    }
    // a tree without a manifest is a commit that never happened
    if ((await this.manifest(key)) === undefined && (await exists(this.entryDir(key)))) await this.removeTree(this.entryDir(key));
  }

  /**
   * Commit a tree under `key`. Skipped (with the reason) when an intact entry made on the same
   * parent is already there — a concurrent build made the same one — unless `replace` (the
   * entry was refused: too old, --refresh), or when the cache cannot be written. An entry in
   * the way (corrupt, made on another parent, refused) is removed first unless a build is using
   * it. A failure (the cache full) is a warning: the tree is handed back (`unfill`), nothing
   * partial stays.
   */
  async commit(
    key: string,
    source: CommitSource,
    info: {
      inputs: unknown;
      meta?: Record<string, unknown>;
      parent?: { key: string; instance: string };
      /** an intact entry of the key is to be replaced (it was refused as too old, or --refresh) */
      replace?: boolean;
      /** return holding the entry's shared lock (the caller uses it) */
      keepShared?: boolean;
    },
  ): Promise<CommitResult> {
    if (!this.host.writable) return { committed: false, reason: 'the cache is not writable' };
    return withFileLock(
      this.lockFiles(key).make,
      async (): Promise<CommitResult> => {
        const existing = await this.manifest(key);
        const sameParent = (m: DirEntryManifest) => m.parent?.key === info.parent?.key && m.parent?.instance === info.parent?.instance;
        if (existing && existing !== 'corrupt' && !info.replace && sameParent(existing) && !(await this.problem(key, existing))) return { committed: false, reason: 'another build stored it first', existing };
        const tmp = path.join(this.dir, `.${key}${CACHE_TEMP_MARKER}${randomBytes(4).toString('hex')}`);
        let filled: string | undefined;
        let shared: HeldLock | undefined;
        try {
          await fs.mkdir(this.dir, { recursive: true });
          if (existing !== undefined) {
            // an entry is in the way (corrupt, made on another parent, refused): only if nobody uses it
            const lock = await tryLock(this.lockFiles(key).entry, this.host);
            if (!lock) return { committed: false, reason: 'another build is using the entry it replaces' };
            try {
              await this.removeLocked(key);
            } finally {
              await lock.release();
            }
          }
          await this.sweepKey(key);
          // held from before the manifest exists: no prune can take the entry from under its maker
          if (info.keepShared) shared = await acquireLock(this.lockFiles(key).entry, { shared: true, log: this.host.log, ...(this.host.signal ? { signal: this.host.signal } : {}) });
          await fs.mkdir(tmp);
          filled = tmp;
          await source.fill(tmp);
          const index = await indexDir(tmp, { skip: [INDEX], ...(this.host.signal ? { signal: this.host.signal } : {}) });
          const text = indexText(index);
          await fs.writeFile(path.join(tmp, INDEX), text, { flag: 'wx', mode: 0o600 });
          const manifest: DirEntryManifest = {
            format: DIR_ENTRY_FORMAT,
            kind: this.kind,
            key,
            created: new Date().toISOString(),
            bytes: index.bytes,
            entries: index.entries,
            instance: indexTextSha256(text),
            ...(info.parent ? { parent: info.parent } : {}),
            inputs: info.inputs,
            ...(info.meta ? { meta: info.meta } : {}),
          };
          const final = this.entryDir(key);
          await fs.rename(tmp, final);
          filled = final;
          const tmpManifest = path.join(this.dir, `.${key}.json${CACHE_TEMP_MARKER}${randomBytes(4).toString('hex')}`);
          await fs.writeFile(tmpManifest, JSON.stringify(manifest, null, 1) + '\n', { flag: 'wx' });
          // the commit: readers see no manifest or this one (the make lock keeps other writers out)
          await fs.rename(tmpManifest, this.manifestPath(key));
          const held = shared;
          return { committed: true, manifest, dir: final, ...(held ? { release: () => held.release() } : {}) };
        } catch (e) {
          await shared?.release();
          await fs.rm(this.manifestPath(key), { force: true }).catch(() => undefined);
          if (filled && source.unfill) await source.unfill(filled).catch((u) => this.host.log?.warn(`could not take the tree back from ${filled}: ${(u as Error).message}`));
          await execa('rm', ['-rf', '--one-file-system', tmp]).catch(() => undefined);
          if (filled && filled !== tmp) await this.removeTree(filled).catch(() => undefined);
          if (isInterrupt(e, this.host.signal)) throw e;
          const problem = cacheWriteProblem(e);
          if (problem) this.host.markUnwritable(problem);
          const why = problem ?? (e as Error).message.split('\n')[0]!;
          this.host.log?.warn(`could not store ${this.kind}/${key} in the cache (${why}); the build goes on without it`);
          return { committed: false, reason: why };
        }
      },
      { log: this.host.log, ...(this.host.signal ? { signal: this.host.signal } : {}) },
    );
  }

  /** Every committed entry (unverified), oldest use first. */
  async list(): Promise<ListedEntry[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const out: ListedEntry[] = [];
    for (const n of names) {
      if (!n.endsWith('.json') || n.startsWith('.')) continue;
      const key = n.slice(0, -'.json'.length);
      if (!SAFE_KEY.test(key)) continue;
      const m = await this.manifest(key).catch(() => undefined);
      if (!m || m === 'corrupt') continue;
      const st = await fs.stat(this.manifestPath(key)).catch(() => undefined);
      out.push({ manifest: m, lastUsed: st ? st.mtime : new Date(m.created) });
    }
    return out.sort((a, b) => a.lastUsed.getTime() - b.lastUsed.getTime());
  }

  /**
   * Remove the entry of `key` unless a build is using it ('busy'). Unreadable manifests are
   * removed too.
   */
  async remove(key: string): Promise<'removed' | 'busy' | 'missing'> {
    const lock = await tryLock(this.lockFiles(key).entry, this.host);
    if (!lock) return 'busy';
    try {
      if ((await this.manifest(key)) === undefined && !(await exists(this.entryDir(key)))) return 'missing';
      await this.removeLocked(key);
      return 'removed';
    } finally {
      await lock.release();
    }
  }

  /**
   * Remove what writers that died left behind: temporary directories and trees without a
   * manifest whose make lock nobody holds. Returns their names.
   */
  async sweep(): Promise<string[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const done: string[] = [];
    for (const n of names) {
      const temp = n.startsWith('.') && n.includes(CACHE_TEMP_MARKER);
      const orphan = !n.startsWith('.') && !n.endsWith('.json') && SAFE_KEY.test(n) && (await this.manifest(n).catch(() => 'corrupt' as const)) === undefined;
      if (!temp && !orphan) continue;
      // `.<key>.dib-tmp-…` (a tree being committed), `.<key>.json.dib-tmp-…`, `.<key>.removing.dib-tmp-…`
      const key = temp ? n.slice(1, n.indexOf(CACHE_TEMP_MARKER)).replace(/\.(json|removing)$/, '') : n;
      const make = SAFE_KEY.test(key) ? await tryLock(this.lockFiles(key).make, this.host) : undefined;
      if (SAFE_KEY.test(key) && !make) continue; // being made right now
      try {
        await execa('rm', ['-rf', '--one-file-system', path.join(this.dir, n)]);
        done.push(n);
      } finally {
        await make?.release();
      }
    }
    return done;
  }
}
