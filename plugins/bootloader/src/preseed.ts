/**
 * The GRUB packages the bootloader will install, known before the root is made, for
 * package-installs' `preseedPackages` hook (the OS bootstrap puts them in its cached root).
 */
import type { Build, Env } from '@dib/core';
import type { DiskLayout } from '@dib/core';
import type { PreseedContext, PreseedPackage, PreseedRequest } from '@dib/element-package-installs';
import { isTrue } from './cmdline.js';
import { bootTargets, grubPackages } from './install.js';

/**
 * The build's disk plan (`build.diskPlan()`), or undefined when the block-device config is
 * invalid (the build reports that before any work).
 */
export async function plannedLayout(build: Build): Promise<DiskLayout | undefined> {
  try {
    return await build.diskPlan();
  } catch {
    return undefined;
  }
}

/**
 * The packages (Debian names, mapped through bootloader's pkg-map by the caller) that
 * `installBootloader` installs for this layout: none with DIB_EXTLINUX,
 * DIB_SKIP_GRUB_PACKAGE_INSTALL, no layout, or a layout GRUB cannot boot.
 */
export function bootloaderPackages(env: Readonly<Env>, layout: DiskLayout | undefined, arch: string | undefined): string[] {
  if (env.DIB_EXTLINUX && env.DIB_EXTLINUX !== '0') return [];
  if (!layout || layout.table === 'none') return [];
  if (isTrue(env.DIB_SKIP_GRUB_PACKAGE_INSTALL, false)) return [];
  const targets = bootTargets(layout, arch);
  if (!targets.bios && !targets.efi) return [];
  return grubPackages(targets, arch);
}

/** preseedPackages tap: the GRUB packages for the planned layout. */
export async function bootloaderPreseed(list: PreseedRequest, ctx: PreseedContext): Promise<PreseedPackage[]> {
  const pkgs = bootloaderPackages(ctx.env, await plannedLayout(ctx.build), ctx.env.ARCH ?? ctx.build.config.arch);
  return [...list, ...pkgs.map((p) => ({ package: p, element: 'bootloader' }))];
}
