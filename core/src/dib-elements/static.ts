/**
 * DIB's install-static: the merged `static/` tree of the hooks dir copied onto the image root
 * (install 10). The copy runs inside the chroot from `/tmp/in_target.d/static`, so absolute
 * links in the image resolve inside it; files are owned by root, links are kept as links.
 */
import fs from 'fs-extra';
import path from 'node:path';
import type { PhaseContext } from '../contract/build.js';
import { IN_TARGET } from './env.js';

export async function installStatic(ctx: PhaseContext): Promise<void> {
  const src = path.join(ctx.build.paths.hooksDir, 'static');
  if (!(await fs.pathExists(src))) return;
  // cp -R -P: recurse, keep links; no -p: new files are root's, modes from the source
  await ctx.target.run('cp', ['-R', '-P', `${IN_TARGET}/static/.`, '/']);
  ctx.log.info('static files copied onto the image root');
}
