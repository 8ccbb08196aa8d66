import { chmod, chown, cp, lstat, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { defineElement, DibError, imagePath, stageOutput } from '@dib/core';
import type { PhaseContext } from '@dib/core';
import { dibArguments, dibEnvironment } from './lib.js';

export { formatDibEnvironment, dibEnvironment, dibArguments, bashDeclareQuote } from './lib.js';

export const DEFAULT_MANIFEST_IMAGE_DIR = '/etc/dib-manifests';

/** The manifest directory inside the image (DIB_MANIFEST_IMAGE_DIR), as an absolute image path. */
export function manifestImageDir(env: Readonly<Record<string, string>>): string {
  return env.DIB_MANIFEST_IMAGE_DIR || DEFAULT_MANIFEST_IMAGE_DIR;
}

/** Host path of the manifest directory of the image being built. */
export async function manifestDirPath(ctx: Pick<PhaseContext, 'targetRoot' | 'env'>): Promise<string> {
  return imagePath(ctx.targetRoot, manifestImageDir(ctx.env));
}

/** Where the manifests are copied next to the image: DIB_MANIFEST_SAVE_DIR, else `<output>.d/`. */
export function manifestSaveDir(ctx: Pick<PhaseContext, 'env' | 'build' | 'config'>): string {
  const save = ctx.env.DIB_MANIFEST_SAVE_DIR;
  if (!save || save === `${ctx.env.IMAGE_NAME}.d/`) return `${ctx.build.paths.outputBase}.d`;
  return isAbsolute(save) ? save : resolve(ctx.config.baseDir, save);
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

async function listDirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    if (!ent.isDirectory()) continue;
    const p = join(dir, ent.name);
    out.push(p, ...(await listDirs(p)));
  }
  return out;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) out.push(...(await listFiles(p)));
    else if (ent.isFile()) out.push(p);
  }
  return out;
}

/** extra-data 20 `manifest-dir`: create the manifest directory in the image. */
export async function manifestDir(ctx: PhaseContext): Promise<void> {
  await mkdir(await manifestDirPath(ctx), { recursive: true });
}

/**
 * cleanup 1 `copy-manifests-dir`: write dib_environment and dib_arguments, copy the directory
 * to the save dir (`<image>.d/dib-manifests/`), then make the image's copies root-owned 0600.
 */
export async function copyManifestsDir(ctx: PhaseContext): Promise<void> {
  const dir = await manifestDirPath(ctx);
  const st = await lstat(dir).catch(() => undefined);
  if (!st?.isDirectory()) {
    throw new DibError('E_TAP_FAILED', `manifests: the manifest directory ${manifestImageDir(ctx.env)} does not exist in the image`, {
      hint: 'it is created by the manifests tap extra-data/manifest-dir; something removed it',
    });
  }
  // base's store-build-settings wrote them at extra-data time; else compute them now
  const hooks = ctx.build.paths.hooksDir;
  const env = (await readIfExists(join(hooks, 'dib_environment'))) ?? `${dibEnvironment(ctx.env)}\n`;
  const args = (await readIfExists(join(hooks, 'dib_arguments'))) ?? `${dibArguments(ctx.build)}\n`;
  await writeFile(join(dir, 'dib_environment'), env);
  await writeFile(join(dir, 'dib_arguments'), args);

  const saveDir = manifestSaveDir(ctx);
  const dest = join(saveDir, basename(manifestImageDir(ctx.env)));
  const uid = Number(process.env.SUDO_UID);
  const gid = Number(process.env.SUDO_GID);
  const owner = process.env.SUDO_UID && Number.isInteger(uid) && Number.isInteger(gid) && process.getuid?.() === 0 ? { uid, gid } : undefined;
  // <name>.d is dib's own: 0700; a DIB_MANIFEST_SAVE_DIR of the user's keeps its mode
  const own = saveDir === `${ctx.build.paths.outputBase}.d`;
  // staged: it replaces the previous image's copy only when the whole build succeeds
  const target = await stageOutput(ctx.build, dest, own ? { parentMode: 0o700, ...(owner ? { owner } : {}) } : {});
  await rm(target, { recursive: true, force: true });
  await cp(dir, target, { recursive: true, verbatimSymlinks: true });
  // the build's environment and arguments: readable by their owner only
  for (const p of [target, ...(await listDirs(target))]) await chmod(p, 0o700);
  for (const f of await listFiles(target)) await chmod(f, 0o600);
  if (owner) {
    for (const p of [target, ...(await listDirs(target)), ...(await listFiles(target))]) await chown(p, owner.uid, owner.gid).catch(() => undefined);
  }
  ctx.log.info(`manifests copied to ${dest}`);

  for (const f of await listFiles(dir)) {
    if (process.getuid?.() === 0) await chown(f, 0, 0);
    await chmod(f, 0o600);
  }
}

/** Collects build manifests in /etc/dib-manifests and copies them next to the image. */
export default defineElement({
  name: 'manifests',
  description: 'Collects build manifests in /etc/dib-manifests and copies them next to the image.',
  deps: [],
  provides: [],
  environment: (env) => ({
    DIB_MANIFEST_IMAGE_DIR: env.DIB_MANIFEST_IMAGE_DIR ?? DEFAULT_MANIFEST_IMAGE_DIR,
    ...(env.DIB_MANIFEST_SAVE_DIR !== undefined || env.IMAGE_NAME === undefined
      ? {}
      : { DIB_MANIFEST_SAVE_DIR: `${env.IMAGE_NAME}.d/` }),
  }),
  apply(build) {
    build.hooks.extraData.tapPromise({ name: 'manifest-dir', stage: 20 }, manifestDir);
    build.hooks.cleanup.tapPromise({ name: 'copy-manifests-dir', stage: 1 }, copyManifestsDir);
  },
});
