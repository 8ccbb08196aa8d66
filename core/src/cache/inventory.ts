/**
 * What the cache holds, entry by entry, and pruning it (`dib cache ls`, `dib cache prune`):
 * phase checkpoints and cached outputs (directory entries), bootstrapped roots (file entries).
 * An entry is removed under its own exclusive lock, taken without waiting: one that a running
 * build uses (it holds the entry's shared lock) is kept and reported, never pulled from under
 * it. Prunes are serialised by the cache's `prune` lock.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { isDibError } from '../errors.js';
import type { DirCache } from './cache.js';
import { DirEntryStore } from './dir-entries.js';
import { acquireLock } from './lock.js';

/** The kinds `dib cache` knows, in the order it lists them. */
export const CACHE_KINDS = ['checkpoints', 'outputs', 'roots'] as const;
export type CacheKind = (typeof CACHE_KINDS)[number];

export interface CacheItem {
  kind: CacheKind;
  key: string;
  bytes: number;
  created: Date;
  lastUsed: Date;
  /** the image (output base name) it was made for, when it says */
  image?: string;
  /** what it is, in a few words: the phase a checkpoint holds, a root's distribution */
  what?: string;
}

export async function listCache(cache: DirCache, kinds: readonly CacheKind[] = CACHE_KINDS): Promise<CacheItem[]> {
  const out: CacheItem[] = [];
  for (const kind of kinds) {
    if (kind === 'roots') {
      const store = cache.entries('roots');
      for (const m of await store.list()) {
        const st = await fs.stat(path.join(store.dir, m.file)).catch(() => undefined);
        out.push({ kind, key: m.key, bytes: m.bytes, created: new Date(m.created), lastUsed: st ? st.mtime : new Date(m.created), ...(typeof m.meta?.what === 'string' ? { what: m.meta.what } : {}) });
      }
      continue;
    }
    for (const e of await new DirEntryStore(cache, kind).list()) {
      const meta = e.manifest.meta ?? {};
      const what = kind === 'checkpoints' ? `after ${String(meta.group ?? '?')}` : 'outputs';
      out.push({ kind, key: e.manifest.key, bytes: e.manifest.bytes, created: new Date(e.manifest.created), lastUsed: e.lastUsed, what, ...(typeof meta.image === 'string' ? { image: meta.image } : {}) });
    }
  }
  return out;
}

export interface PruneResult {
  removed: CacheItem[];
  /** in use by a running build: kept */
  busy: CacheItem[];
  /** leftovers of writers that died, removed on the way */
  swept: string[];
}

/** Remove the entries `select` picks (default: all), except those in use. */
export async function pruneCache(cache: DirCache, opts: { kinds?: readonly CacheKind[]; select?: (item: CacheItem) => boolean; dryRun?: boolean } = {}): Promise<PruneResult> {
  const lock = await acquireLock(cache.lockFile('prune'), { log: cache.log, ...(cache.signal ? { signal: cache.signal } : {}) });
  try {
    const result: PruneResult = { removed: [], busy: [], swept: [] };
    const kinds = opts.kinds ?? CACHE_KINDS;
    for (const item of await listCache(cache, kinds)) {
      if (opts.select && !opts.select(item)) continue;
      if (opts.dryRun) {
        result.removed.push(item);
        continue;
      }
      const outcome = item.kind === 'roots' ? await removeFileEntry(cache, item.key) : await new DirEntryStore(cache, item.kind).remove(item.key);
      if (outcome === 'busy') result.busy.push(item);
      else if (outcome === 'removed') result.removed.push(item);
    }
    if (!opts.dryRun) for (const kind of kinds) if (kind !== 'roots') result.swept.push(...(await new DirEntryStore(cache, kind).sweep()));
    return result;
  } finally {
    await lock.release();
  }
}

/** A file entry (a cached root): manifest first, then its data, under its exclusive lock. */
async function removeFileEntry(cache: DirCache, key: string): Promise<'removed' | 'busy' | 'missing'> {
  const store = cache.entries('roots');
  let lock;
  try {
    lock = await acquireLock(store.lockFiles(key).entry, { timeoutMs: 0, quietMs: 60_000 });
  } catch (e) {
    if (isDibError(e) && e.code === 'E_LOCK') return 'busy';
    throw e;
  }
  try {
    const m = await store.manifest(key);
    if (m === undefined) return 'missing';
    await fs.rm(store.manifestPath(key), { force: true });
    if (m !== 'corrupt') await fs.rm(path.join(store.dir, m.file), { force: true });
    return 'removed';
  } finally {
    await lock.release();
  }
}

/** `30d`, `12h`, `2w`, `90m`, `45s`; a bare number is days. Undefined for anything else. */
export function parseAge(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$/.exec(text);
  if (!m) return undefined;
  const unit = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, '': 86_400 }[m[2] as 's' | 'm' | 'h' | 'd' | 'w' | ''];
  return Number(m[1]) * unit * 1000;
}
