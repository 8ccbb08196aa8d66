/**
 * Build-time pseudo filesystems still mounted below the image tree (proc, sys, a /dev bind,
 * devpts, …) must not end up in tree outputs: their contents are excluded, the directories kept.
 */
import { relative, resolve, sep } from 'node:path';
import { readMounts, type MountEntry } from '../chroot/mounts.js';

export { parseMountinfo, type MountEntry } from '../chroot/mounts.js';

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
    return pseudoMountsUnder(tree, await readMounts());
  } catch {
    return [];
  }
}

/** Directories whose contents tree outputs always leave out: `proc`, `sys`, plus mounted pseudo fs. */
export function contentExcludes(extra: readonly string[]): string[] {
  return [...new Set(['proc', 'sys', ...extra])].sort();
}
