/**
 * Verified cache entries: one data file per key, `<cache>/<kind>/<key>.<ext>`, and its manifest
 * beside it, `<key>.json`, recording the data's size, sha256 and the inputs the key was made
 * from. Data and manifest are written under temporary names and renamed (the manifest last: it
 * is the commit), so a reader never sees half an entry. Every use verifies size and checksum
 * first; an entry that fails (truncated, overwritten, a manifest without data) is evicted with a
 * warning and counts as a miss, so it is made again instead of failing every later build.
 *
 * Locks (see lock.ts), per key: `<kind>-<key>.lock` is taken shared to verify and use an entry,
 * exclusive to commit or evict one; `<kind>-<key>.make.lock` is held by whoever makes the entry
 * (for the whole time it takes), so concurrent builds make it once.
 *
 * A write that fails (the cache dir full or read-only) removes its temporary files and degrades
 * to a warning: the build goes on without storing the entry.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { DibError, isDibError } from '../errors.js';
import type { CacheEntryManifest, Logger } from '../vocabulary.js';
import { hashFile } from '../util/file-hash.js';
import { acquireLock, withFileLock, type LockOptions } from './lock.js';

/** Bump when the manifest's meaning changes. */
export const ENTRY_FORMAT = 1;

/**
 * A cache manifest file, unverified: undefined when there is none, 'corrupt' when it is not JSON
 * or `valid` refuses its shape (written by another format, cut short, edited by hand).
 */
export async function readManifestFile<T>(file: string, valid: (m: T) => boolean): Promise<T | 'corrupt' | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const m = JSON.parse(text) as T;
    return m !== null && typeof m === 'object' && valid(m) ? m : 'corrupt';
  } catch {
    return 'corrupt';
  }
}

export type EntryManifest = CacheEntryManifest;

/** What an entry store needs from the cache that holds it. */
export interface EntryHost {
  readonly dir: string;
  readonly writable: boolean;
  readonly signal?: AbortSignal;
  readonly log?: Logger;
  lockFile(name: string): string;
  /** called when a write found the cache full or read-only: later writes are skipped */
  markUnwritable(reason: string): void;
}

export type VerifyResult = { ok: true; manifest: EntryManifest; file: string } | { ok: false; missing: true } | { ok: false; missing: false; reason: string };

/** Marker in the names of temporary cache files (`.<key>.<ext>.dib-tmp-<random>`). */
export const CACHE_TEMP_MARKER = '.dib-tmp-';

const SAFE_KEY = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

export function assertKey(kind: string, key: string): void {
  if (!SAFE_KEY.test(kind) || !SAFE_KEY.test(key) || key.length > 200) {
    throw new DibError('E_INTERNAL', `cache entry name ${kind}/${key} is not a safe file name`, { hint: 'keys are made of letters, digits and . _ + -' });
  }
}

/** Why a failed cache write failed, in words, when the cause is the cache dir itself. */
export function cacheWriteProblem(e: unknown): string | undefined {
  const err = e as NodeJS.ErrnoException & { details?: string[] };
  const text = [err?.code ?? '', err?.message ?? '', ...(Array.isArray(err?.details) ? err.details : [])].join('\n');
  if (/ENOSPC|No space left on device|EDQUOT|Disk quota exceeded/.test(text)) return 'the cache dir is full';
  if (/EROFS|Read-only file system/.test(text)) return 'the cache dir is read-only';
  if (/EACCES|Permission denied/.test(text)) return 'the cache dir is not writable';
  return undefined;
}

function isInterrupt(e: unknown, signal?: AbortSignal): boolean {
  return (isDibError(e) && e.code === 'E_INTERRUPTED') || !!signal?.aborted;
}

export interface PutOptions {
  /** data file extension, without the dot (`tar.zst`) */
  ext: string;
  inputs: unknown;
  meta?: Record<string, unknown>;
  /** the caller already holds the make lock of this key (EntryStore.make does) */
  makeLockHeld?: boolean;
}

/**
 * What the cache's stores of one kind share (files here, directory trees in dir-entries.ts):
 * `<cache>/<kind>/`, keys that are safe file names, a manifest and two lock files per key.
 */
export abstract class KeyedStore {
  constructor(
    protected readonly host: EntryHost,
    readonly kind: string,
  ) {
    assertKey(kind, 'x');
  }

  /** `<cache>/<kind>` */
  get dir(): string {
    return path.join(this.host.dir, this.kind);
  }

  manifestPath(key: string): string {
    assertKey(this.kind, key);
    return path.join(this.dir, `${key}.json`);
  }

  /** Lock file names of a key: `entry` (shared use / exclusive commit) and `make`. */
  lockFiles(key: string): { entry: string; make: string } {
    assertKey(this.kind, key);
    return { entry: this.host.lockFile(`${this.kind}-${key}`), make: this.host.lockFile(`${this.kind}-${key}.make`) };
  }
}

export class EntryStore extends KeyedStore {

  private lockOpts(extra: LockOptions = {}): LockOptions {
    return { log: this.host.log, signal: this.host.signal, ...extra };
  }

  /** The manifest of `key`, unverified; undefined when there is none, 'corrupt' when unreadable. */
  async manifest(key: string): Promise<EntryManifest | 'corrupt' | undefined> {
    return readManifestFile<EntryManifest>(
      this.manifestPath(key),
      (m) => m.format === ENTRY_FORMAT && m.key === key && typeof m.sha256 === 'string' && typeof m.bytes === 'number' && typeof m.file === 'string' && !m.file.includes('/'),
    );
  }

  /** Check an entry's data against its manifest (size, then sha256). */
  async verify(key: string): Promise<VerifyResult> {
    const m = await this.manifest(key);
    if (m === undefined) {
      // data without a manifest is a write that never committed: not an entry
      return { ok: false, missing: true };
    }
    if (m === 'corrupt') return { ok: false, missing: false, reason: 'its manifest is unreadable' };
    const file = path.join(this.dir, m.file);
    const st = await fs.stat(file).catch(() => undefined);
    if (!st?.isFile()) return { ok: false, missing: false, reason: `its data file ${m.file} is missing` };
    if (st.size !== m.bytes) return { ok: false, missing: false, reason: `${m.file} has ${st.size} bytes, the manifest says ${m.bytes} (truncated or overwritten)` };
    const { sha256 } = await hashFile(file, { signal: this.host.signal });
    if (sha256 !== m.sha256) return { ok: false, missing: false, reason: `${m.file} does not match its sha256 (${sha256.slice(0, 12)}… instead of ${m.sha256.slice(0, 12)}…)` };
    return { ok: true, manifest: m, file };
  }

  /** Remove an entry (manifest first, so no reader can take the data for complete). */
  private async remove(key: string): Promise<void> {
    const m = await this.manifest(key).catch(() => undefined);
    await fs.rm(this.manifestPath(key), { force: true });
    if (m && m !== 'corrupt') await fs.rm(path.join(this.dir, m.file), { force: true });
  }

  /**
   * Evict `key` if it is still bad once we hold its exclusive lock (another build may have
   * replaced it meanwhile). Returns the reason when it was evicted.
   */
  async evict(key: string, reason: string): Promise<string | undefined> {
    return withFileLock(
      this.lockFiles(key).entry,
      async () => {
        const again = await this.verify(key);
        if (again.ok || again.missing) return undefined;
        this.host.log?.warn(`cache entry ${this.kind}/${key} is corrupt: ${reason}; removed, it will be made again`);
        try {
          await this.remove(key);
        } catch (e) {
          this.host.log?.warn(`could not remove the corrupt cache entry ${this.kind}/${key}: ${(e as Error).message}; it is ignored`);
        }
        return reason;
      },
      this.lockOpts(),
    );
  }

  /**
   * Use a verified entry: `fn` runs with the data file while a shared lock keeps writers out.
   * A corrupt entry is evicted (with a warning) and reported as a miss.
   */
  async use<T>(key: string, fn: (file: string, manifest: EntryManifest) => Promise<T>): Promise<{ hit: true; value: T; manifest: EntryManifest } | { hit: false; evicted?: string }> {
    const lock = await acquireLock(this.lockFiles(key).entry, this.lockOpts({ shared: true }));
    let bad: string | undefined;
    try {
      const v = await this.verify(key);
      if (v.ok) return { hit: true, value: await fn(v.file, v.manifest), manifest: v.manifest };
      if (v.missing) return { hit: false };
      bad = v.reason;
    } finally {
      await lock.release();
    }
    if (!this.host.writable) {
      this.host.log?.warn(`cache entry ${this.kind}/${key} is corrupt: ${bad}; the cache is not writable, so it is only ignored`);
      return { hit: false, evicted: bad };
    }
    return { hit: false, evicted: (await this.evict(key, bad)) ?? bad };
  }

  /** Leftover temporary files of `key` (a writer that died); only call holding its make lock. */
  private async sweepTemps(key: string): Promise<void> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const n of names) {
      if (n.startsWith(`.${key}.`) && n.includes(CACHE_TEMP_MARKER)) await fs.rm(path.join(this.dir, n), { force: true, recursive: true });
    }
  }

  /**
   * Store an entry: `produce(tmp)` writes the data to a temporary file, which is hashed and
   * committed with its manifest. Returns the manifest, or undefined when the entry could not be
   * stored (a warning says why; nothing partial is left). An interrupt is rethrown.
   */
  async put(key: string, produce: (tmp: string) => Promise<void>, opts: PutOptions): Promise<EntryManifest | undefined> {
    assertKey(this.kind, opts.ext.replace(/\./g, '-'));
    if (!this.host.writable) {
      this.host.log?.info(`not storing ${this.kind}/${key}: the cache is not writable`);
      return undefined;
    }
    const write = async (): Promise<EntryManifest | undefined> => {
      const rand = randomBytes(4).toString('hex');
      const tmp = path.join(this.dir, `.${key}.${opts.ext}${CACHE_TEMP_MARKER}${rand}`);
      const tmpManifest = path.join(this.dir, `.${key}.json${CACHE_TEMP_MARKER}${rand}`);
      try {
        await fs.mkdir(this.dir, { recursive: true });
        await this.sweepTemps(key);
        const t0 = performance.now();
        await produce(tmp);
        const { sha256, bytes } = await hashFile(tmp, { signal: this.host.signal });
        const writeSeconds = Math.round((performance.now() - t0) / 100) / 10;
        const file = `${key}.${opts.ext}`;
        const manifest: EntryManifest = { format: ENTRY_FORMAT, kind: this.kind, key, file, bytes, sha256, created: new Date().toISOString(), inputs: opts.inputs, meta: { ...opts.meta, writeSeconds } };
        await fs.writeFile(tmpManifest, JSON.stringify(manifest, null, 1) + '\n', { flag: 'wx' });
        await withFileLock(
          this.lockFiles(key).entry,
          async () => {
            // an old manifest must not describe the new data even for an instant
            await fs.rm(this.manifestPath(key), { force: true });
            await fs.rename(tmp, path.join(this.dir, file));
            await fs.rename(tmpManifest, this.manifestPath(key));
          },
          this.lockOpts(),
        );
        return manifest;
      } catch (e) {
        await fs.rm(tmp, { force: true, recursive: true }).catch(() => undefined);
        await fs.rm(tmpManifest, { force: true }).catch(() => undefined);
        if (isInterrupt(e, this.host.signal)) throw e;
        const problem = cacheWriteProblem(e);
        if (problem) this.host.markUnwritable(problem);
        const why = problem ?? (e as Error).message.split('\n')[0];
        this.host.log?.warn(`could not store ${this.kind}/${key} in the cache (${why}); the build goes on without it`);
        return undefined;
      }
    };
    if (opts.makeLockHeld) return write();
    return withFileLock(this.lockFiles(key).make, write, this.lockOpts());
  }

  /** Hold the make lock of `key` while `fn` runs (whoever holds it is making the entry). */
  withMakeLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return withFileLock(this.lockFiles(key).make, fn, this.lockOpts());
  }

  /** Every committed entry's manifest (unverified), for listings. */
  async list(): Promise<EntryManifest[]> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    const out: EntryManifest[] = [];
    for (const n of names.sort()) {
      if (!n.endsWith('.json') || n.startsWith('.')) continue;
      const m = await this.manifest(n.slice(0, -'.json'.length)).catch(() => undefined);
      if (m && m !== 'corrupt') out.push(m);
    }
    return out;
  }
}
