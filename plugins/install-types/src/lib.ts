/**
 * DIB's 99-enable-install-types for directory elements: in the merged hooks tree's
 * `install.d`, link the scripts of the selected `<prefix>-<type>-install/` directories.
 */
import { lstat, readdir, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Env } from '@dib/core';

const PREFIX = 'DIB_INSTALLTYPE_';

export interface InstallTypeLink {
  /** name of the link in install.d (the script's name) */
  name: string;
  /** relative target: `<prefix>-<type>-install/<name>` */
  target: string;
}

async function isDir(p: string): Promise<boolean> {
  return lstat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function entries(dir: string): Promise<string[]> {
  // like the shell glob `dir/*`: no dot-files, sorted
  return (await readdir(dir)).filter((n) => !n.startsWith('.')).sort();
}

/**
 * The links DIB would make in `installD`: first for every `DIB_INSTALLTYPE_<x>` variable
 * (prefix `x` with `_` → `-`), then for every `*-<default>-install/` whose prefix was not
 * set explicitly. Later links replace earlier ones (`ln -sf`).
 */
export async function planInstallTypeLinks(installD: string, env: Readonly<Env>, defaultType: string): Promise<InstallTypeLink[]> {
  const links: InstallTypeLink[] = [];
  const specified = new Set<string>();
  for (const key of Object.keys(env).filter((k) => k.startsWith(PREFIX)).sort()) {
    const prefix = key.slice(PREFIX.length).replace(/_/g, '-');
    const dir = `${prefix}-${env[key]}-install`;
    if (await isDir(join(installD, dir))) {
      for (const n of await entries(join(installD, dir))) links.push({ name: n, target: `${dir}/${n}` });
    }
    specified.add(prefix);
  }
  const suffix = `-${defaultType}-install`;
  const dirs = (await readdir(installD).catch(() => [] as string[])).filter((n) => n.endsWith(suffix)).sort();
  for (const dir of dirs) {
    if (!(await isDir(join(installD, dir)))) continue;
    const prefix = dir.slice(0, -suffix.length);
    if (specified.has(prefix)) continue;
    for (const n of await entries(join(installD, dir))) links.push({ name: n, target: `${dir}/${n}` });
  }
  return links;
}

/** Make the links (replacing what is there, as `ln -sf`). */
export async function applyInstallTypeLinks(installD: string, links: readonly InstallTypeLink[]): Promise<void> {
  for (const l of links) {
    const p = join(installD, l.name);
    await rm(p, { force: true });
    await symlink(l.target, p);
  }
}

/** The default install type: DIB_DEFAULT_INSTALLTYPE, else the config's, else `source`. */
export function defaultInstallType(env: Readonly<Env>, configured?: string): string {
  return env.DIB_DEFAULT_INSTALLTYPE || configured || 'source';
}
