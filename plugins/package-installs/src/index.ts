import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineElement, DibError, getPackageHooks, stateKey } from '@dib/core';
import type { HookName, PhaseContext } from '@dib/core';
import { legacyPackageLists, squashBuild } from './collect.js';
import { getPackageInstallsHooks, mapForElement, requestPackages } from './hooks.js';
import { packageInstallsPreseed } from './preseed.js';
import { formatSquashed } from './squash.js';
import type { Squashed } from './squash.js';

export { squashRequests, formatSquashed, evaluateWhen } from './squash.js';
export type { Squashed, SquashedPhase, PackageEntry, ElementPackages, PackageSource, InstallTypeOf, SquashOptions } from './squash.js';
export { squashPackageInstalls, collectPackageRequests, collectElementPackages, parsePackageInstalls, squashBuild, legacyPackageLists, parseLegacyList, PACKAGE_INSTALLS_FILES } from './collect.js';
export type { LegacyPackageList } from './collect.js';
export { getPackageInstallsHooks, installPackages, upgradePackages, requestPackages, mapForElement, packageElementFor } from './hooks.js';
export type { PackageRequest, PackageAction, PackageInstallsHooks, InstallPackagesOptions } from './hooks.js';
export { preseedPackageList, mapPreseed, squashedInstalls, packageInstallsPreseed } from './preseed.js';
export type { PreseedPackage, PreseedRequest, PreseedContext } from './preseed.js';

/** The squashed file inside the image. */
export const SQUASHED_FILE = 'tmp/package-installs.json';
/** `ctx.state` key holding the squashed requests after extra-data. */
export const SQUASHED = stateKey<Squashed>('package-installs:squashed');

/** extra-data 99 `squash-package-install`: write `<target>/tmp/package-installs.json`. */
export async function squashPackageInstall(ctx: PhaseContext): Promise<void> {
  const squashed = await squashBuild(
    { elements: ctx.elements, env: ctx.env, installTypeOf: (e) => ctx.build.installTypeOf(e) },
    { debug: (l) => ctx.log.debug(l) },
  );
  await mkdir(join(ctx.targetRoot, 'tmp'), { recursive: true });
  await writeFile(join(ctx.targetRoot, SQUASHED_FILE), formatSquashed(squashed));
  ctx.state.set(SQUASHED, squashed);
}

async function readSquashed(ctx: PhaseContext): Promise<Squashed> {
  const file = join(ctx.targetRoot, SQUASHED_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    const s = ctx.state.get(SQUASHED);
    if (s) return s;
    throw new DibError('E_PACKAGE_INSTALLS', `package-installs: /${SQUASHED_FILE} is missing in the image`, {
      hint: 'it is written at extra-data by squash-package-install; something removed it',
    });
  }
  return JSON.parse(text) as Squashed;
}

/**
 * Install or uninstall the requests of one phase (DIB's `package-installs -d` for the
 * deprecated lists, then `package-installs-v2 --phase P [--uninstall]`).
 */
export async function applyPhase(ctx: PhaseContext, phaseDir: string, uninstall: boolean): Promise<void> {
  const which = uninstall ? 'uninstall' : 'install';

  // deprecated package-installs-<element> lists in the element's <phase>.d/
  const legacy = await legacyPackageLists(ctx.elements, phaseDir);
  if (legacy.length > 0) {
    const pkgs: string[] = [];
    for (const l of legacy) {
      const names = uninstall ? l.uninstall : l.install;
      if (names.length === 0) continue;
      ctx.log.warn(`${l.file}: package-installs-<element> files are deprecated; use a packages field or package-installs.yaml`);
      pkgs.push(...(await mapForElement(ctx, l.element, names, true)));
    }
    if (pkgs.length > 0 || uninstall) await requestPackages(ctx, { action: which, packages: pkgs });
  }

  const squashed = await readSquashed(ctx);
  const entries = squashed[phaseDir]?.[which];
  if (!entries || entries.length === 0) {
    ctx.log.info(`Nothing to ${which}`);
    return;
  }
  const byElement = new Map<string, string[]>();
  for (const [pkg, element] of entries) {
    const l = byElement.get(element) ?? [];
    l.push(pkg);
    byElement.set(element, l);
  }
  const all = new Set<string>();
  for (const [element, pkgs] of byElement) {
    ctx.log.info(`Map ${which} for ${element}: ${pkgs.join(', ')}`);
    for (const p of await mapForElement(ctx, element, pkgs, true)) all.add(p);
  }
  const packages = [...all].sort();
  if (packages.length === 0) {
    ctx.log.info(`Nothing to ${which}`);
    return;
  }
  await requestPackages(ctx, { action: which, packages });
}

/** install 999 `install-extra-packages`: the config's `packages` (DIB's `-p`), not mapped. */
export async function installExtraPackages(ctx: PhaseContext): Promise<void> {
  const pkgs = (ctx.config.packages ?? []).flatMap((p) => p.split(/[\s,]+/).filter(Boolean));
  if (pkgs.length === 0) return;
  await requestPackages(ctx, { action: 'install', packages: pkgs });
}

/** DIB's install/uninstall points per phase. */
export const APPLY_POINTS: readonly { hook: HookName; phaseDir: string; install: number; uninstall: number }[] = [
  { hook: 'preInstall', phaseDir: 'pre-install.d', install: 10, uninstall: 99 },
  { hook: 'install', phaseDir: 'install.d', install: 1, uninstall: 99 },
  { hook: 'postInstall', phaseDir: 'post-install.d', install: 0, uninstall: 95 },
];

/** Installs and removes the packages elements ask for, at DIB points in each phase. */
export default defineElement({
  name: 'package-installs',
  description: 'Installs and removes the packages elements ask for, at DIB points in each phase.',
  deps: ['install-bin', 'pkg-map'],
  provides: [],
  apply(build) {
    build.hooks.extraData.tapPromise({ name: 'squash-package-install', stage: 99 }, squashPackageInstall);
    for (const p of APPLY_POINTS) {
      build.hooks[p.hook].tapPromise({ name: 'package-installs', stage: p.install }, (ctx) => applyPhase(ctx, p.phaseDir, false));
      build.hooks[p.hook].tapPromise({ name: 'package-uninstalls', stage: p.uninstall }, (ctx) => applyPhase(ctx, p.phaseDir, true));
    }
    build.hooks.install.tapPromise({ name: 'install-extra-packages', stage: 999 }, installExtraPackages);
    getPackageInstallsHooks(build).preseedPackages.tapPromise('package-installs', packageInstallsPreseed);
    // `dib packages`: what the squash at extra-data will say, from the build's final environment
    getPackageHooks(build).plannedPackages.tapPromise('package-installs', async () => {
      const squashed = await squashBuild(build);
      return { packages: squashed, text: formatSquashed(squashed) };
    });
  },
});
