/**
 * DIB's install-static element: the merged `static/` trees of the directory elements (the
 * hooks tree's `static/`) copied onto the image root at install 10, in the chroot, with
 * DIB's `rsync -lCr` (links kept, CVS/backup files skipped, files owned by root, modes from
 * the source). rsync comes into the image through this element's package-installs entry, as
 * upstream's. A root without rsync (no package manager, such as busybox-root) gets the same
 * tree with `cp -R -P` and a warning that rsync's exclusions were not applied.
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { defineElement } from '@dib/core';
import type { PhaseContext } from '@dib/core';

/** Where the hooks tree is in the chroot during chroot phases. */
const IN_TARGET = '/tmp/in_target.d';

async function exists(p: string): Promise<boolean> {
  return access(p).then(
    () => true,
    () => false,
  );
}

/** install 10 `install-static-files`: `rsync -lCr /tmp/in_target.d/static/ /` in the chroot. */
export async function installStaticFiles(ctx: PhaseContext): Promise<void> {
  if (!(await exists(join(ctx.build.paths.hooksDir, 'static')))) return;
  const root = ctx.targetRoot;
  const hasRsync = (await exists(join(root, 'usr/bin/rsync'))) || (await exists(join(root, 'bin/rsync')));
  if (hasRsync) {
    await ctx.target.run('rsync', ['-lCr', `${IN_TARGET}/static/`, '/']);
  } else {
    ctx.log.warn('the image has no rsync: static files copied with cp -R -P (rsync -C would skip CVS, backup and object files)');
    await ctx.target.run('cp', ['-R', '-P', `${IN_TARGET}/static/.`, '/']);
  }
  ctx.log.info('static files copied onto the image root');
}

/** Copies the elements' static/ trees onto the image root (rsync, as DIB). */
export default defineElement({
  name: 'install-static',
  description: "Copies the elements' static/ trees onto the image root (rsync -lCr in the chroot, as DIB).",
  deps: ['package-installs'],
  provides: [],
  packages: { rsync: null },
  apply(build) {
    build.hooks.install.tapPromise({ name: 'install-static-files', stage: 10 }, installStaticFiles);
  },
});
