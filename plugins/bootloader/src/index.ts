import { defineElement, getDiskHooks, type BiosBootFiles, type Env, type PhaseContext } from '@dib/core';
import { getPackageInstallsHooks, installPackages } from '@dib/element-package-installs';
import { installBootloader, type PackageInstaller } from './install.js';
import { bootloaderPreseed } from './preseed.js';

export { kernelCmdline, grubSettings, grubSerialCommand, serialConsole, defaultSerialConsole, archFamily, isTrue, DEFAULT_CMDLINE } from './cmdline.js';
export type { GrubSettings } from './cmdline.js';
export { grubCfg, earlyConfig, updateDefaultGrub, findKernels, compareVersions, defaultGrubValue, efiTarget, BIOS_MODULES, EFI_MODULES } from './grub-config.js';
export type { GrubCfgOptions, KernelPair } from './grub-config.js';
export { installBootloader, bootTargets, grubPackages } from './install.js';
export type { PackageInstaller, InstallOptions } from './install.js';
export { bootloaderPackages, bootloaderPreseed, plannedLayout } from './preseed.js';

/** The default installer: package-installs' `installPackages`, names mapped through this element's pkg-map. */
export const defaultInstaller: PackageInstaller = (ctx: PhaseContext, packages: string[]) => installPackages(ctx, packages, { element: 'bootloader' });

/** environment.d: DIB's defaults (the virtual terminal only when unset: an empty value disables it). */
function environment(env: Readonly<Env>): Env {
  const out: Env = {};
  const dflt = (k: string, v: string) => {
    if (env[k] === undefined || env[k] === '') out[k] = v;
  };
  dflt('DIB_BOOTLOADER_DEFAULT_CMDLINE', 'nofb nomodeset gfxpayload=text');
  if (env.DIB_BOOTLOADER_SERIAL_CONSOLE === undefined) out.DIB_BOOTLOADER_SERIAL_CONSOLE = '';
  if (env.DIB_BOOTLOADER_VIRTUAL_TERMINAL === undefined) out.DIB_BOOTLOADER_VIRTUAL_TERMINAL = 'tty0';
  dflt('DIB_NO_TIMER_CHECK', 'True');
  dflt('DIB_BOOTLOADER_USE_SERIAL_CONSOLE', 'True');
  dflt('DIB_SKIP_GRUB_PACKAGE_INSTALL', 'False');
  dflt('DIB_GRUB_TIMEOUT', '5');
  dflt('DIB_GRUB_TIMEOUT_STYLE', 'menu');
  return out;
}

/** Installs GRUB for BIOS and UEFI from the target's own packages, without grub-install. */
export default defineElement({
  name: 'bootloader',
  description: "Installs GRUB for BIOS and UEFI from the target's own packages (grub.cfg by dib, no grub-install).",
  deps: [],
  provides: [],
  environment,
  pkgMap: {
    family: {
      redhat: { 'grub-pc-bin': 'grub2-pc-modules', 'grub-efi-amd64-bin': 'grub2-efi-x64-modules', 'grub-efi-arm64-bin': 'grub2-efi-aa64-modules', 'grub2-common': 'grub2-tools' },
      suse: { 'grub-pc-bin': 'grub2-i386-pc', 'grub-efi-amd64-bin': 'grub2-x86_64-efi', 'grub-efi-arm64-bin': 'grub2-arm64-efi', 'grub2-common': 'grub2' },
    },
  },
  apply(build) {
    // the BIOS boot code made at finalise goes to the core when it assembles the disk
    let biosBoot: BiosBootFiles | undefined;
    build.hooks.finalise.tapPromise({ name: 'bootloader', stage: 50 }, (ctx) => installBootloader(ctx, { install: defaultInstaller, onBiosBoot: (f) => (biosBoot = f) }));
    getDiskHooks(build).biosBootCode.tap('bootloader', () => biosBoot);
    getPackageInstallsHooks(build).preseedPackages.tapPromise('bootloader', bootloaderPreseed);
  },
});
