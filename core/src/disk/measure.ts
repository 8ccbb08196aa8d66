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

  const walk = (abs: string, rel: string, owner: string) => {
    let entries;
    try {
      entries = readdirSync(abs, { withFileTypes: true });
    } catch {
      return;
    }
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
      let o = owner;
      if (e.isDirectory() && points.has(childRel)) o = childRel;
      if (st.nlink > 1 && !st.isDirectory()) {
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
      }
      // the mount point directory itself belongs to the parent filesystem
      usage.set(owner, (usage.get(owner) ?? 0) + (st.isFile() || st.isDirectory() || (st.isSymbolicLink() && st.size > 60) ? Math.max(alignUp(st.size, BLOCK), BLOCK) : BLOCK));
      if (st.isDirectory()) walk(childAbs, childRel, o);
    }
  };
  usage.set('/', (usage.get('/') ?? 0) + BLOCK);
  walk(root, '/', '/');
  return usage;
}
