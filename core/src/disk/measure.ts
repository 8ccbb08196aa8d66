/**
 * Measure the content of each filesystem in the tree, like `du -x --apparent-size` rounded up
 * to 4 KiB blocks per entry (every inode counts at least one block, which also keeps ext4's
 * inode budget of `-i 4096` in reach). Hard links count once; whatever is mounted below the
 * tree is skipped (/proc, /sys, a bind), found in the mount table rather than by device number:
 * the tree is an overlayfs of cached layers, and over layers on two filesystems (the work dir on
 * a tmpfs /tmp, the cache on disk) each file reports its own layer's device. Each entry counts
 * for the deepest mount point of the layout holding it.
 */
import { lstatSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { parseMountinfo } from '../chroot/mounts.js';
import type { DiskLayout } from './layout.js';
import { alignUp } from './size.js';

const BLOCK = 4096;

/**
 * What a directory takes, from its names alone (ext4's linear format: 8 bytes and the name
 * padded to 4 per entry, `.` and `..` included), never from its st_size: that depends on the
 * directory's history (an ext4 directory never shrinks) and, in a layered tree, on which layer
 * it came from, so the same tree would get another filesystem size.
 */
function directoryBytes(names: readonly string[]): number {
  let bytes = 24;
  for (const n of names) bytes += 8 + alignUp(Buffer.byteLength(n), 4);
  return Math.max(alignUp(bytes, BLOCK), BLOCK);
}

/** Bytes of content per mount point of the layout (every mount point is a key). */
export function measureTree(treeDir: string, layout: DiskLayout): Map<string, number> {
  const points = new Set(layout.mountPoints);
  const usage = new Map<string, number>();
  for (const p of points) usage.set(p, 0);
  if (!points.has('/')) usage.set('/', 0);
  const root = realpathSync(treeDir);
  const mounted = new Set(
    parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'))
      .map((m) => m.mountPoint)
      .filter((p) => p.startsWith(`${root}/`)),
  );
  const seen = new Set<string>();

  const add = (point: string, bytes: number) => usage.set(point, (usage.get(point) ?? 0) + bytes);

  // `owner`: the filesystem this directory's entries live in
  const walk = (abs: string, rel: string, owner: string) => {
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      add(owner, BLOCK);
      return;
    }
    add(owner, directoryBytes(entries.map((e) => e.name)));
    for (const e of entries) {
      const childAbs = join(abs, e.name);
      const childRel = rel === '/' ? `/${e.name}` : `${rel}/${e.name}`;
      let st;
      try {
        st = lstatSync(childAbs, { bigint: false });
      } catch {
        continue;
      }
      if (mounted.has(childAbs)) continue;
      if (st.isDirectory()) {
        if (points.has(childRel)) {
          // the mount point is an empty directory of the parent filesystem; its entries are
          // the root directory of its own
          add(owner, BLOCK);
          walk(childAbs, childRel, childRel);
        } else walk(childAbs, childRel, owner);
        continue;
      }
      if (st.nlink > 1) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      add(owner, st.isFile() || (st.isSymbolicLink() && st.size > 60) ? Math.max(alignUp(st.size, BLOCK), BLOCK) : BLOCK);
    }
  };
  walk(root, '/', '/');
  return usage;
}
