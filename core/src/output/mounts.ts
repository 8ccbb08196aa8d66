/**
 * Build-time pseudo filesystems still mounted below the image tree (proc, sys, a /dev bind,
 * devpts, …) must not end up in tree outputs: their contents are excluded, the directories kept.
 */
import { readFile } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';

export interface MountEntry {
  mountPoint: string;
  fsType: string;
}

/** Parse /proc/self/mountinfo (mount point is field 5, fs type follows the ` - ` separator). */
export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const fields = left.split(' ');
    const mp = fields[4];
    const fsType = right.split(' ')[0];
    if (!mp || !fsType) continue;
    out.push({ mountPoint: unescapeOctal(mp), fsType });
  }
  return out;
}

function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** File systems whose content never belongs in an image (DIB leaves these mounted). */
export const PSEUDO_FS = new Set([
  'proc',
  'sysfs',
  'devtmpfs',
  'devpts',
  'tmpfs',
  'mqueue',
  'cgroup',
  'cgroup2',
  'securityfs',
  'debugfs',
  'tracefs',
  'binfmt_misc',
  'hugetlbfs',
  'pstore',
  'bpf',
  'configfs',
  'fusectl',
  'efivarfs',
]);

/**
 * Directories (relative to `tree`, without `./`) that are pseudo-filesystem mount points
 * below `tree`; nested ones below another are dropped.
 */
export function pseudoMountsUnder(tree: string, mounts: readonly MountEntry[]): string[] {
  const root = resolve(tree);
  const rels = mounts
    .filter((m) => PSEUDO_FS.has(m.fsType))
    .map((m) => relative(root, m.mountPoint))
    .filter((r) => r !== '' && !r.startsWith('..') && !r.startsWith(sep) && !r.split(sep).includes('..'))
    .sort();
  const out: string[] = [];
  for (const r of rels) {
    if (out.some((o) => r === o || r.startsWith(o + sep))) continue;
    out.push(r);
  }
  return out;
}

/** Pseudo mounts below `tree` on this host (empty when mountinfo cannot be read). */
export async function hostPseudoMountsUnder(tree: string): Promise<string[]> {
  try {
    return pseudoMountsUnder(tree, parseMountinfo(await readFile('/proc/self/mountinfo', 'utf8')));
  } catch {
    return [];
  }
}

/** Directories whose contents tree outputs always leave out: `proc`, `sys`, plus mounted pseudo fs. */
export function contentExcludes(extra: readonly string[]): string[] {
  return [...new Set(['proc', 'sys', ...extra])].sort();
}
