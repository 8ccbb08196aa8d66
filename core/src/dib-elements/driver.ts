/**
 * What the phase driver calls for directory elements:
 *  - `prepareLegacy` at the start of the build, before any tap: the hooks tree
 *    (TMP_HOOKS_PATH) and dib's `install-packages` and `pkg-map` clients in its bin/;
 *  - `enterLegacyPhase` around each phase: for chroot phases, TMP_HOOKS_PATH mounted read-only
 *    at `<target>/tmp/in_target.d` (as DIB's read-only bind, but one the chroot cannot remount
 *    read-write: see chroot/mounts.ts) and the install-packages spool; released after the phase,
 *    and on the cleanup stack so nothing stays mounted on failure or Ctrl-C.
 */
import fs from 'fs-extra';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PhaseName, PhaseWhere } from '../contract/phases.js';
import type { Build } from '../contract/build.js';
import { DibError } from '../errors.js';
import { mountReadOnly, mountsBelow, unmountBelow } from '../chroot/mounts.js';
import { IN_TARGET, writeElementListFiles } from './env.js';
import { generateHooksTree } from './hooks-tree.js';
import { CLIENT_SCRIPT, pkgMapClientScript } from './install-packages.js';
import { spoolDir } from './script.js';

function hasDirectoryElements(build: Build): boolean {
  return build.elements.some((e) => e.kind === 'directory');
}

/** Whether a package element ships bin/ tools for DIB scripts (cache-url). */
function hasPackageTools(build: Build): boolean {
  return build.elements.some((e) => e.kind === 'package' && fs.existsSync(path.join(e.dir, 'bin')));
}

/**
 * Build the hooks tree (DIB's generate_hooks) and add dib's install-packages and pkg-map
 * clients (an element's own bin/ tool of the same name wins).
 */
export async function prepareLegacy(build: Build): Promise<void> {
  if (!hasDirectoryElements(build) && !hasPackageTools(build)) return;
  const hooks = build.paths.hooksDir;
  await generateHooksTree(build.elements, hooks, build.log);
  const clients = {
    'install-packages': CLIENT_SCRIPT,
    'pkg-map': pkgMapClientScript({ node: process.execPath, cli: fileURLToPath(new URL('../cli/main.js', import.meta.url)) }),
  };
  for (const [name, script] of Object.entries(clients)) {
    const client = path.join(hooks, 'bin', name);
    if (await fs.pathExists(client)) continue;
    await fs.ensureDir(path.dirname(client));
    await fs.writeFile(client, script, { mode: 0o755 });
  }
  for (const name of await writeElementListFiles(hooks, build.elements)) {
    build.log.warn(`${name} is too large for one environment variable (${build.elements.length} elements): DIB scripts find it in the file $${name}_FILE`);
  }
  build.log.debug(`hooks tree of the directory elements is in ${hooks}`);
}

/** Mount the hooks tree read-only into the target; returns the release function. */
export async function mountInTarget(build: Build, signal?: AbortSignal): Promise<() => Promise<void>> {
  const point = path.join(build.paths.targetRoot, IN_TARGET);
  if ((await mountsBelow(point)).length) await unmountBelow(point, build.log);
  if (await fs.pathExists(point)) await fs.rmdir(point).catch(() => undefined);
  await fs.ensureDir(point);
  let unmount = async () => undefined as void;
  const undo = async () => {
    await unmount();
    await fs.rmdir(point).catch(() => undefined);
    await fs.remove(spoolDir(build.paths.targetRoot));
  };
  const release = build.cleanup.push(`unmount ${IN_TARGET}`, undo);
  try {
    unmount = await mountReadOnly(build.paths.hooksDir, point, { log: build.log, signal, scratch: build.paths.buildDir });
  } catch (e) {
    await release();
    if ((e as DibError).code === 'E_INTERRUPTED') throw e;
    throw new DibError('E_MOUNT', `could not mount the hooks tree at ${IN_TARGET}: ${(e as Error).message.split('\n')[0]}`, {
      hint: 'dib needs root and mounts (in a container: run it privileged)',
    });
  }
  return release;
}

/** Called by the driver before a phase (before its before-<phase> break point). */
export async function enterLegacyPhase(build: Build, _phase: PhaseName, where: PhaseWhere, signal?: AbortSignal): Promise<() => Promise<void>> {
  if (where !== 'chroot' || !hasDirectoryElements(build)) return async () => undefined;
  return mountInTarget(build, signal);
}
