/**
 * Comparing two snapshots: sections in order (the first input's, then those only in the
 * second), fields by name, then each tree path by path in byte order of the names, and per
 * path: presence, type, mode, owner, size, mtime, content, symlink target, device, xattrs,
 * hard link. Fields a format cannot hold (FAT has no owners) are not compared.
 */
import { compareNames, modeText } from './tree.js';
import type { Difference, Section, Snapshot, Tree, TreeEntry } from './types.js';

/** An mtime as people read it: ISO 8601 in UTC, with the nanoseconds when there are any. */
export function mtimeText(t: { sec: number; nsec: number }): string {
  const iso = new Date(t.sec * 1000).toISOString().replace('.000Z', '');
  return `${iso}${t.nsec ? `.${String(t.nsec).padStart(9, '0').replace(/0+$/, '')}` : ''}Z`;
}

function sameTime(a: TreeEntry['mtime'], b: TreeEntry['mtime'], resolution: number): boolean {
  const res = BigInt(resolution);
  const ns = (t: TreeEntry['mtime']) => BigInt(t.sec) * 1_000_000_000n + BigInt(t.nsec);
  return ns(a) / res === ns(b) / res;
}

function compareEntries(where: string, path: string, a: TreeEntry, b: TreeEntry, ta: Tree, tb: Tree, out: Difference[]): void {
  const d = (field: string, va: string | undefined, vb: string | undefined) => {
    if (va !== vb) out.push({ where, path, field, ...(va !== undefined ? { a: va } : {}), ...(vb !== undefined ? { b: vb } : {}) });
  };
  d('type', a.type, b.type);
  if (a.type !== b.type) return;
  if (ta.can.modes && tb.can.modes) d('mode', modeText(a.mode), modeText(b.mode));
  if (ta.can.owners && tb.can.owners) d('owner', `${a.uid}:${a.gid}`, `${b.uid}:${b.gid}`);
  if (a.type === 'file') d('size', String(a.size), String(b.size));
  if (!sameTime(a.mtime, b.mtime, Math.max(ta.can.mtimeResolution, tb.can.mtimeResolution))) d('mtime', mtimeText(a.mtime), mtimeText(b.mtime));
  if (a.type === 'file' && a.hardlink === undefined && b.hardlink === undefined) d('content', a.sha256 && `sha256:${a.sha256}`, b.sha256 && `sha256:${b.sha256}`);
  d('symlink target', a.target, b.target);
  d('device', a.rdev, b.rdev);
  if (ta.can.xattrs && tb.can.xattrs) {
    const names = [...new Set([...Object.keys(a.xattrs ?? {}), ...Object.keys(b.xattrs ?? {})])].sort(compareNames);
    for (const n of names) d(`xattr ${n}`, a.xattrs?.[n], b.xattrs?.[n]);
  }
  d('hard link to', a.hardlink, b.hardlink);
}

/** Every difference between two trees, path by path in byte order. */
export function compareTrees(where: string, ta: Tree, tb: Tree): Difference[] {
  const out: Difference[] = [];
  const paths = [...new Set([...ta.entries.keys(), ...tb.entries.keys()])].sort(compareNames);
  for (const p of paths) {
    const a = ta.entries.get(p);
    const b = tb.entries.get(p);
    if (!a || !b) {
      out.push({ where, path: p, field: 'presence', ...(a ? { a: a.type } : {}), ...(b ? { b: b.type } : {}) });
      continue;
    }
    compareEntries(where, p, a, b, ta, tb, out);
  }
  return out;
}

function compareSections(a: Section, b: Section, out: Difference[]): void {
  const where = a.title === b.title ? a.title : `${a.title} / ${b.title}`;
  const fb = new Map(b.fields);
  const fa = new Map(a.fields);
  for (const [name, va] of a.fields) if (fb.get(name) !== va) out.push({ where, field: name, a: va, ...(fb.has(name) ? { b: fb.get(name)! } : {}) });
  for (const [name, vb] of b.fields) if (!fa.has(name)) out.push({ where, field: name, b: vb });
  if (a.tree && b.tree) out.push(...compareTrees(where, a.tree, b.tree));
  else if (a.tree || b.tree) out.push({ where, field: 'files', ...(a.tree ? { a: `${a.tree.entries.size} paths` } : {}), ...(b.tree ? { b: `${b.tree.entries.size} paths` } : {}) });
}

/** The tree with the most paths: what two inputs of different formats are compared on. */
function mainTree(s: Snapshot): Section | undefined {
  let best: Section | undefined;
  for (const sec of s.sections) if (sec.tree && (!best || sec.tree.entries.size > best.tree!.entries.size)) best = sec;
  return best;
}

/**
 * The differences between two snapshots, in the order a person reads them: the format, the
 * container, the partition table, each partition and its filesystem, then the files.
 * Inputs of different formats (a tar against a disk image) are compared on their largest trees.
 */
export function compareSnapshots(a: Snapshot, b: Snapshot): Difference[] {
  const out: Difference[] = [];
  const disks: readonly string[] = ['qcow2', 'vhd', 'raw-disk'];
  const sameKind = a.format === b.format || (disks.includes(a.format) && disks.includes(b.format));
  if (a.format !== b.format) out.push({ where: 'input', field: 'format', a: a.summary, b: b.summary });
  if (!sameKind) {
    const ta = mainTree(a);
    const tb = mainTree(b);
    if (ta && tb) out.push(...compareTrees('files', ta.tree!, tb.tree!));
    return out;
  }
  const bKeys = new Map(b.sections.map((s) => [s.key, s]));
  const aKeys = new Set(a.sections.map((s) => s.key));
  // a qcow2 against a raw disk: the container is the format difference already named
  const listed = (s: Section) => !(a.format !== b.format && s.key === 'container');
  for (const s of a.sections.filter(listed)) {
    const other = bKeys.get(s.key);
    if (other) compareSections(s, other, out);
    else out.push({ where: s.title, field: 'presence', a: 'present' });
  }
  for (const s of b.sections.filter(listed)) if (!aKeys.has(s.key)) out.push({ where: s.title, field: 'presence', b: 'present' });
  return out;
}
