/**
 * Whether this host can make the planned disk from files. The layout accepts everything
 * upstream's block-device layer accepts; what dib cannot make into a disk (LVM, an MBR type
 * wider than a byte, a UUID mkfs refuses, xfs without a mkfs.xfs that populates from a
 * directory) is refused here, before any work, but only when a disk image is asked for: a tar
 * of the same config builds.
 */
import { DibError } from '../errors.js';
import type { DiskLayout } from './layout.js';
import { xfsProblem, xfsSupport } from './xfs.js';

/** Output types made from the assembled disk image. */
export const DISK_IMAGE_TYPES: readonly string[] = ['raw', 'qcow2', 'vhd'];

export function needsDiskImage(types: readonly string[]): boolean {
  return types.some((t) => DISK_IMAGE_TYPES.includes(t));
}

/** The first reason in the layout itself that the disk cannot be made (path-named), if any. */
export function diskProblemError(layout: DiskLayout): DibError | undefined {
  const p = layout.diskProblems[0];
  if (!p) return undefined;
  const more = layout.diskProblems.length > 1 ? ` (and ${layout.diskProblems.length - 1} more)` : '';
  return new DibError(layout.lvm && p.path === layout.lvm.path ? 'E_DISK' : 'E_BLOCK_DEVICE_CONFIG', `${layout.source}: ${p.path}: ${p.problem}${more}`, { hint: p.hint });
}

/** Throw the first reason the disk cannot be made (path-named), if any. */
export async function assertDiskBuildable(layout: DiskLayout): Promise<void> {
  const problem = diskProblemError(layout);
  if (problem) throw problem;
  if (layout.filesystems.some((f) => f.type === 'xfs')) {
    const x = xfsProblem(await xfsSupport());
    if (x) throw new DibError(x.code, `${layout.source}: ${x.message}`, { hint: x.hint });
  }
}
