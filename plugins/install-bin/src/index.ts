import { chmod, chown, copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { defineElement, imagePath } from '@dib/core';
import type { PhaseContext } from '@dib/core';

/** Every element's `bin/` files, by tool name (elements by name; a later one wins, with a warning). */
export async function elementTools(ctx: Pick<PhaseContext, 'elements' | 'log'>): Promise<Map<string, string>> {
  const tools = new Map<string, string>();
  const elements = [...ctx.elements].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const el of elements) {
    const dir = join(el.dir, 'bin');
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const n of names.sort()) {
      if (n.startsWith('.')) continue;
      const p = join(dir, n);
      if (!(await stat(p).catch(() => undefined))?.isFile()) continue;
      if (tools.has(n)) ctx.log.warn(`bin/${n} of ${el.name} replaces ${tools.get(n)}`);
      tools.set(n, p);
    }
  }
  return tools;
}

/** pre-install 1 `install-bin`: element `bin/` tools → /usr/local/bin, root-owned 0755. */
export async function installBin(ctx: PhaseContext): Promise<void> {
  const tools = await elementTools(ctx);
  if (tools.size === 0) return;
  const dest = await imagePath(ctx.targetRoot, 'usr/local/bin');
  await mkdir(dest, { recursive: true });
  for (const [name, src] of tools) {
    const p = join(dest, name);
    await copyFile(src, p);
    if (process.getuid?.() === 0) await chown(p, 0, 0);
    await chmod(p, 0o755);
    ctx.log.info(`installed /usr/local/bin/${name}`);
  }
}

/** Installs element bin/ tools into /usr/local/bin of the image. */
export default defineElement({
  name: 'install-bin',
  description: 'Installs element bin/ tools into /usr/local/bin of the image.',
  deps: [],
  provides: [],
  apply(build) {
    build.hooks.preInstall.tapPromise({ name: 'install-bin', stage: 1 }, installBin);
  },
});
