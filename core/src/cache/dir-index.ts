/**
 * The stat index of a directory tree: one record per entry (type, inode, link count, size,
 * mode, owner, ctime, path), sorted by path. A directory entry of the cache (a checkpoint
 * layer, cached outputs) records its index when it is committed and is verified against it
 * before every use.
 *
 * Why the inode change time and not a checksum of every byte: a checkpoint of a Debian root
 * holds about a gigabyte in 23 000 files; hashing it before every restore costs seconds, which
 * is what checkpoints exist to save. The kernel sets an inode's ctime to the current time on
 * every change made through the filesystem — a write, a truncate, chmod, chown, a new or
 * removed link, an xattr — and nothing can set it back (utimes sets atime and mtime only), so an
 * entry whose every inode still has the ctime, size and inode number it was committed with has
 * not been changed since, and a file added, removed or renamed changes its directory's ctime.
 * What this cannot see is damage below the filesystem (a failing disk) — no cache of unpacked
 * trees can without reading them — and a copy of the cache directory to another disk (every
 * inode and ctime is new): such entries are judged corrupt and made again, never trusted.
 * Walking the tree with find(1) takes 0.3 s for a Debian root.
 */
import { execa } from 'execa';
import { createHash } from 'node:crypto';

/** One line per entry: `type ino nlink size mode uid gid ctime` TAB path. */
export interface DirIndex {
  /** the records, sorted by path (relative to the indexed directory, which is not listed) */
  lines: string[];
  /** sha256 of the index text */
  sha256: string;
  entries: number;
  /** bytes of regular files (apparent size, hard links counted once) */
  bytes: number;
}

const FIELDS = 8;

function split(rec: string): { fields: string[]; path: string } {
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < FIELDS; i++) {
    const next = rec.indexOf('\t', at);
    fields.push(rec.slice(at, next));
    at = next + 1;
  }
  return { fields, path: rec.slice(at) };
}

/**
 * Index `dir`. `skip` names top-level entries left out (the index file kept inside an entry).
 * Paths are relative to `dir` (find's `%P`); NUL-terminated records survive any file name.
 */
export async function indexDir(dir: string, opts: { skip?: readonly string[]; signal?: AbortSignal } = {}): Promise<DirIndex> {
  const prune = (opts.skip ?? []).flatMap((n, i) => [...(i ? ['-o'] : []), '-path', `${dir}/${n}`]);
  // the top directory itself is left out: renaming an entry into place changes its ctime
  const args = [dir, '-mindepth', '1', ...(prune.length ? ['(', ...prune, ')', '-prune', '-o'] : []), '-printf', '%y\t%i\t%n\t%s\t%m\t%U\t%G\t%C@\t%P\\0'];
  const r = await execa('find', args, { stripFinalNewline: false, maxBuffer: 1 << 30, ...(opts.signal ? { cancelSignal: opts.signal } : {}) });
  // byte order, not locale order: the same on every host
  const records = r.stdout
    .split('\0')
    .filter(Boolean)
    .map((rec) => ({ rec, path: split(rec).path }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((x) => x.rec);
  let bytes = 0;
  const seen = new Set<string>();
  for (const rec of records) {
    const { fields } = split(rec);
    if (fields[0] !== 'f') continue;
    if (Number(fields[2]) > 1) {
      if (seen.has(fields[1]!)) continue;
      seen.add(fields[1]!);
    }
    bytes += Number(fields[3]);
  }
  const text = records.join('\n');
  return { lines: records, sha256: createHash('sha256').update(text).digest('hex'), entries: records.length, bytes };
}

/** The index as stored beside an entry. */
export function indexText(index: DirIndex): string {
  return index.lines.join('\n') + '\n';
}

export function parseIndexText(text: string): string[] {
  return text.split('\n').filter((l) => l !== '');
}

export function indexTextSha256(text: string): string {
  return createHash('sha256').update(text.replace(/\n$/, '')).digest('hex');
}

/**
 * The names of each regular file that has more than one in the index, grouped by inode; with
 * `under`, only the paths below that directory of the index, relative to it.
 */
export function linkGroups(lines: readonly string[], under?: string): string[][] {
  const byIno = new Map<string, string[]>();
  const prefix = under ? `${under}/` : '';
  for (const rec of lines) {
    const { fields, path } = split(rec);
    if (fields[0] !== 'f' || Number(fields[2]) < 2 || !path.startsWith(prefix)) continue;
    byIno.set(fields[1]!, [...(byIno.get(fields[1]!) ?? []), path.slice(prefix.length)]);
  }
  return [...byIno.values()].filter((g) => g.length > 1);
}

/**
 * Why `actual` is not the tree `expected` describes, in words (undefined when they agree):
 * the first entry missing, added or changed, with what changed.
 */
export function indexDifference(expected: readonly string[], actual: readonly string[]): string | undefined {
  const want = new Map(expected.map((r) => [split(r).path, split(r).fields] as const));
  const have = new Map(actual.map((r) => [split(r).path, split(r).fields] as const));
  const names = ['type', 'inode', 'link count', 'size', 'mode', 'owner', 'group', 'change time'];
  for (const [p, w] of want) {
    const h = have.get(p);
    if (!h) return `${p} is missing`;
    const i = w.findIndex((x, k) => x !== h[k]);
    if (i === 3) return `${p} has ${h[3]} bytes instead of ${w[3]} (truncated or overwritten)`;
    if (i >= 0) return `${p} was changed after it was stored (its ${names[i]} is ${h[i]}, not ${w[i]})`;
  }
  for (const p of have.keys()) if (!want.has(p)) return `${p} was added after it was stored`;
  return undefined;
}
