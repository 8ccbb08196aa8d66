import { chmod, cp, mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineElement, DibError, imagePath } from '@dib/core';
import type { Env, PhaseContext } from '@dib/core';

export const INIT_SYSTEMS = ['upstart', 'openrc', 'systemd', 'sysv'] as const;
export type InitSystem = (typeof INIT_SYSTEMS)[number];

/** Where each init system's scripts go. */
export const INIT_SCRIPT_DIRS: Readonly<Record<InitSystem, string>> = {
  upstart: 'etc/init',
  openrc: 'etc/init.d',
  systemd: 'usr/lib/systemd/system',
  sysv: 'etc/init.d',
};

/** DIB_INIT_SYSTEM, validated as DIB's environment.d/99-dib-init-system does. */
export function checkInitSystem(env: Readonly<Env>): InitSystem {
  const v = env.DIB_INIT_SYSTEM;
  if (!v) {
    throw new DibError('E_CONFIG_VALUE', 'DIB_INIT_SYSTEM is not set! Can not continue', {
      hint: `the operating-system element sets it; or set env.DIB_INIT_SYSTEM to one of ${INIT_SYSTEMS.join(', ')}`,
    });
  }
  if (!(INIT_SYSTEMS as readonly string[]).includes(v)) {
    throw new DibError('E_CONFIG_VALUE', `Unrecognised init system: DIB_INIT_SYSTEM=${v}`, { hint: `use one of ${INIT_SYSTEMS.join(', ')}` });
  }
  return v as InitSystem;
}

/** pre-install 4 `dib-init-system`: the (deprecated) /usr/local/bin/dib-init-system. */
export async function writeInitSystemTool(ctx: PhaseContext): Promise<void> {
  const init = checkInitSystem(ctx.env);
  const dir = await imagePath(ctx.targetRoot, 'usr/local/bin');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'dib-init-system'), `#!/bin/bash\necho ${init}\n`);
  await chmod(join(dir, 'dib-init-system'), 0o775);
}

async function scriptDirs(ctx: PhaseContext, init: InitSystem): Promise<string[]> {
  const out: string[] = [];
  for (const el of [...ctx.elements].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const d = join(el.dir, 'init-scripts', init);
    if ((await stat(d).catch(() => undefined))?.isDirectory()) out.push(d);
  }
  return out;
}

/** install 20 `install-init-scripts`: every element's `init-scripts/<init>/` into the init system's dir. */
export async function installInitScripts(ctx: PhaseContext): Promise<void> {
  const init = checkInitSystem(ctx.env);
  const dest = await imagePath(ctx.targetRoot, INIT_SCRIPT_DIRS[init]);
  for (const d of await scriptDirs(ctx, init)) {
    await mkdir(dest, { recursive: true });
    await cp(d, dest, { recursive: true, verbatimSymlinks: true, force: true });
    ctx.log.info(`init scripts from ${d} installed in /${INIT_SCRIPT_DIRS[init]}`);
  }
}

/** post-install 10 `enable-init-scripts`: openrc needs its scripts added to the default runlevel. */
export async function enableInitScripts(ctx: PhaseContext): Promise<void> {
  const init = checkInitSystem(ctx.env);
  if (init !== 'openrc') return;
  for (const d of await scriptDirs(ctx, init)) {
    for (const n of (await readdir(d)).sort()) await ctx.target.run('rc-update', ['add', n, 'default']);
  }
}

/** Validates DIB_INIT_SYSTEM and installs init-system specific files. */
export default defineElement({
  name: 'dib-init-system',
  description: 'Validates DIB_INIT_SYSTEM and installs init-system specific files.',
  deps: [],
  provides: [],
  apply(build) {
    // set but wrong fails now; unset may still be set by the OS element: checked at pre-install
    if (!build.planOnly && build.env.DIB_INIT_SYSTEM) checkInitSystem(build.env);
    build.hooks.preInstall.tapPromise({ name: 'dib-init-system', stage: 4 }, writeInitSystemTool);
    build.hooks.install.tapPromise({ name: 'install-init-scripts', stage: 20 }, installInitScripts);
    build.hooks.postInstall.tapPromise({ name: 'enable-init-scripts', stage: 10 }, enableInitScripts);
  },
});
