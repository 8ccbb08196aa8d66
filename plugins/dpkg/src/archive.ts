/**
 * The shared apt archive (`<cache>/apt/<distro>`, bind-mounted at /var/cache/apt/archives) is
 * verified against the signed index before apt uses it. apt takes a .deb already in its
 * archive for complete when its size is right and never checks its hash, so a same-size
 * corrupt file would be handed to dpkg in every later build. Here each .deb is checked against
 * the SHA256 of its package in the Packages files apt fetched (which apt itself verified against
 * the signed InRelease); a bad one is removed, with a warning, and apt downloads it again.
 *
 * A record of what was verified (`.dib-verified.json`: size, mtime, ctime and inode of each
 * file that matched) spares re-hashing files nobody touched since; anything that changes a file
 * changes its ctime, so a rewritten file is hashed again.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Logger } from '@dib/core';

export interface IndexEntry {
  size: number;
  sha256: string;
}

/** `<package>_<version>_<arch>` → size and sha256, from Packages file text. */
export function parsePackagesIndex(text: string, into = new Map<string, IndexEntry>()): Map<string, IndexEntry> {
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(stanza)?.[1]?.trim();
    const pkg = field('Package');
    const version = field('Version');
    const arch = field('Architecture');
    const sha256 = field('SHA256');
    const size = Number(field('Size'));
    if (!pkg || !version || !arch || !sha256 || !Number.isFinite(size)) continue;
    into.set(`${pkg}_${version}_${arch}`, { size, sha256: sha256.toLowerCase() });
  }
  return into;
}

/** The index key of an archive file: apt names them `<pkg>_<version, ':' as %3a>_<arch>.deb`. */
export function archiveKey(file: string): string | undefined {
  const m = /^([^_]+)_([^_]+)_([^_]+)\.deb$/.exec(path.basename(file));
  if (!m) return undefined;
  return `${m[1]}_${m[2]!.replace(/%3a/gi, ':')}_${m[3]}`;
}

/** Every Packages index apt fetched into `listsDir` (plain or .gz), merged. */
export async function readSignedIndex(listsDir: string): Promise<Map<string, IndexEntry>> {
  const index = new Map<string, IndexEntry>();
  for (const n of (await fs.readdir(listsDir).catch(() => [] as string[])).sort()) {
    const p = path.join(listsDir, n);
    if (n.endsWith('_Packages')) parsePackagesIndex(await fs.readFile(p, 'utf8'), index);
    else if (n.endsWith('_Packages.gz')) parsePackagesIndex(gunzipSync(await fs.readFile(p)).toString('utf8'), index);
  }
  return index;
}

async function sha256Of(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Buffer>) h.update(chunk);
  return h.digest('hex');
}

interface Stamp {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  sha256: string;
}

const RECORD = '.dib-verified.json';

export interface ArchiveCheck {
  /** .deb files the index knows */
  checked: number;
  /** of which hashed now (the others were verified before and are unchanged) */
  hashed: number;
  /** files removed because they do not match the index */
  removed: string[];
  /** .deb files the index does not know (apt will not use them for this build) */
  unknown: number;
}

/**
 * Check every .deb of `archiveDir` against the index in `listsDir`; remove the bad ones. Call
 * it holding the archive's lock. Without an index (no lists yet) nothing is checked.
 */
export async function verifyAptArchive(archiveDir: string, listsDir: string, log?: Logger): Promise<ArchiveCheck> {
  const result: ArchiveCheck = { checked: 0, hashed: 0, removed: [], unknown: 0 };
  const index = await readSignedIndex(listsDir);
  if (index.size === 0) return result;
  const recordFile = path.join(archiveDir, RECORD);
  let record: Record<string, Stamp> = {};
  try {
    record = JSON.parse(await fs.readFile(recordFile, 'utf8')) as Record<string, Stamp>;
  } catch {
    record = {};
  }
  const next: Record<string, Stamp> = {};
  for (const n of (await fs.readdir(archiveDir).catch(() => [] as string[])).sort()) {
    if (!n.endsWith('.deb')) continue;
    const key = archiveKey(n);
    const want = key ? index.get(key) : undefined;
    const file = path.join(archiveDir, n);
    if (!want) {
      result.unknown++;
      if (record[n]) next[n] = record[n]!;
      continue;
    }
    const st = await fs.stat(file).catch(() => undefined);
    if (!st?.isFile()) continue;
    result.checked++;
    const old = record[n];
    const stamp = { size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino };
    if (old && old.sha256 === want.sha256 && old.size === stamp.size && old.mtimeMs === stamp.mtimeMs && old.ctimeMs === stamp.ctimeMs && old.ino === stamp.ino) {
      next[n] = old;
      continue;
    }
    let why: string | undefined;
    if (st.size !== want.size) why = `${st.size} bytes, the index says ${want.size}`;
    else {
      result.hashed++;
      const got = await sha256Of(file);
      if (got !== want.sha256) why = `sha256 ${got.slice(0, 12)}…, the index says ${want.sha256.slice(0, 12)}…`;
    }
    if (why) {
      await fs.rm(file, { force: true });
      result.removed.push(n);
      log?.warn(`apt archive: ${n} does not match the signed index (${why}): removed, apt downloads it again`);
      continue;
    }
    next[n] = { ...stamp, sha256: want.sha256 };
  }
  const tmp = `${recordFile}.tmp`;
  try {
    await fs.writeFile(tmp, JSON.stringify(next));
    await fs.rename(tmp, recordFile);
  } catch {
    // a full or read-only cache: the next run hashes again
    await fs.rm(tmp, { force: true }).catch(() => undefined);
  }
  return result;
}

/**
 * The .deb files of `archiveDir` verified against a signed index before and unchanged since
 * (for a bootstrap, which cannot check them itself before apt takes them).
 */
export async function verifiedArchiveFiles(archiveDir: string): Promise<string[]> {
  let record: Record<string, Stamp>;
  try {
    record = JSON.parse(await fs.readFile(path.join(archiveDir, RECORD), 'utf8')) as Record<string, Stamp>;
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const [n, old] of Object.entries(record)) {
    const st = await fs.stat(path.join(archiveDir, n)).catch(() => undefined);
    if (st && old.size === st.size && old.mtimeMs === st.mtimeMs && old.ctimeMs === st.ctimeMs && old.ino === st.ino) out.push(n);
  }
  return out.sort();
}
