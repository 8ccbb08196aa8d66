/**
 * DIB's modprobe element: every element's `modprobe.d/*.conf` copied into the image's
 * /etc/modprobe.d (extra-data 50), and `blacklist <module>` lines for DIB_MODPROBE_BLACKLIST
 * appended to /etc/modprobe.d/blacklist.conf (install 80). debootstrap depends on it, as
 * upstream's does, so both work in every Debian-family image.
 */
import { appendFile, copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { defineElement, imagePath } from '@dib/core';
import type { Env, PhaseContext } from '@dib/core';


/** The modules DIB_MODPROBE_BLACKLIST names (blank-separated, as the script's word split). */
export function blacklistModules(env: Readonly<Env>): string[] {
  return (env.DIB_MODPROBE_BLACKLIST ?? '').split(/\s+/).filter(Boolean);
}

/** The `modprobe.d/*.conf` files of the build's elements, by element name (name order). */
export async function modprobeSnippets(elements: PhaseContext['elements']): Promise<{ element: string; file: string }[]> {
  const out: { element: string; file: string }[] = [];
  for (const el of [...elements].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const dir = join(el.dir, 'modprobe.d');
    for (const n of (await readdir(dir).catch(() => [] as string[])).sort()) {
      if (!n.endsWith('.conf')) continue;
      const p = join(dir, n);
      if ((await stat(p).catch(() => undefined))?.isFile()) out.push({ element: el.name, file: p });
    }
  }
  return out;
}

/** extra-data 50 `modprobe-blacklist`: copy the elements' modprobe.d snippets into the image. */
export async function copyModprobeSnippets(ctx: PhaseContext): Promise<void> {
  const dest = await imagePath(ctx.targetRoot, 'etc/modprobe.d');
  await mkdir(dest, { recursive: true });
  for (const s of await modprobeSnippets(ctx.elements)) {
    const name = s.file.slice(s.file.lastIndexOf('/') + 1);
    await copyFile(s.file, join(dest, name));
    ctx.log.info(`/etc/modprobe.d/${name} from ${s.element}`);
  }
}

/** install 80 `modprobe-blacklist`: one `blacklist <module>` line per DIB_MODPROBE_BLACKLIST word. */
export async function writeBlacklist(ctx: PhaseContext): Promise<void> {
  const modules = blacklistModules(ctx.env);
  if (modules.length === 0) return;
  const file = await imagePath(ctx.targetRoot, 'etc/modprobe.d/blacklist.conf');
  await mkdir(join(file, '..'), { recursive: true });
  await appendFile(file, modules.map((m) => `blacklist ${m}\n`).join(''));
  ctx.log.info(`blacklisted ${modules.join(' ')}`);
}

/** Module options for the image: elements' modprobe.d files and DIB_MODPROBE_BLACKLIST. */
export default defineElement({
  name: 'modprobe',
  description: "Module options for the image: elements' modprobe.d/*.conf files and DIB_MODPROBE_BLACKLIST.",
  deps: [],
  provides: [],
  apply(build) {
    build.hooks.extraData.tapPromise({ name: 'modprobe-blacklist', stage: 50 }, copyModprobeSnippets);
    build.hooks.install.tapPromise({ name: 'modprobe-blacklist', stage: 80 }, writeBlacklist);
  },
});
