/** Helpers every tree reader shares: path spelling, hard-link groups, mode text. */
import type { EntryType, TreeEntry } from './types.js';

/** `./etc/x`, `etc/x/`, `/etc//x` → `/etc/x`; `.`, `./`, `` → `/`. */
export function normalisePath(p: string): string {
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  return `/${parts.join('/')}`;
}

/**
 * Give every name of a hard-linked file the same entry, the first name (in sorted order) as
 * the file and the others as `hardlink` to it, whatever order the format stored them in.
 * `groups`: the names of each file with more than one name.
 */
export function applyHardlinkGroups(entries: Map<string, TreeEntry>, groups: Iterable<readonly string[]>): void {
  for (const group of groups) {
    const names = [...new Set(group)].sort(compareNames);
    const source = names.map((n) => entries.get(n)).find((e) => e && e.type === 'file' && e.hardlink === undefined) ?? entries.get(names[0]!);
    if (!source || names.length < 2) continue;
    const first = names[0]!;
    for (const n of names) {
      const e: TreeEntry = { ...source, ...(source.xattrs ? { xattrs: { ...source.xattrs } } : {}) };
      delete e.hardlink;
      if (n !== first) e.hardlink = first;
      entries.set(n, e);
    }
  }
}

/** Byte order of UTF-8 names, the same on every machine (not the locale's). */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** The type of an entry from the S_IFMT bits of a mode. */
export function typeFromMode(mode: number): EntryType | undefined {
  switch (mode & 0o170000) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o020000:
      return 'char';
    case 0o060000:
      return 'block';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    default:
      return undefined;
  }
}

/** `0644`, `4755`: the permission bits as four octal digits. */
export function modeText(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

export function hex(buf: Buffer): string {
  return buf.toString('hex');
}
