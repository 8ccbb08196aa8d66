import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineElement, imagePath } from '@dib/core';
import type { Env, PhaseContext, PkgMap } from '@dib/core';
import { getPackageInstallsHooks, installPackages, upgradePackages } from '@dib/element-package-installs';
import type { PreseedContext, PreseedPackage, PreseedRequest } from '@dib/element-package-installs';
import { dibArguments, dibEnvironment } from '@dib/element-manifests';

/** DIB base's pkg-map. */
export const BASE_PKG_MAP: PkgMap = {
  family: {
    redhat: { iscsi_package: 'iscsi-initiator-utils' },
    gentoo: {
      curl: 'net-misc/curl',
      dhcp_client: 'net-misc/dhcp',
      extlinux: 'sys-boot/syslinux',
      git: 'dev-vcs/git',
      grub_bios: 'sys-boot/grub',
      'grub-pc': 'sys-boot/grub',
      'ironic-python-agent': '',
      iscsi_package: 'sys-block/open-iscsi',
      'isc-dhcp-client': 'net-misc/dhcp',
      isolinux: '',
      ncat: 'net-analyzer/netcat',
      'qemu-utils': 'app-emulation/qemu',
      'python-dev': '',
      PyYAML: 'dev-python/pyyaml',
      syslinux: 'sys-boot/syslinux',
      'syslinux-common': '',
      tftp: 'net-ftp/tftp-hpa',
      tgt: 'sys-block/tgt',
    },
    suse: { 'qemu-utils': 'qemu-tools' },
  },
  default: { iscsi_package: 'open-iscsi' },
};

/**
 * extra-data 50 `store-build-settings`: DIB_ENV and DIB_ARGS into the hooks directory
 * (`dib_environment`, `dib_arguments`), where later phases and manifests read them.
 */
export async function storeBuildSettings(ctx: PhaseContext): Promise<void> {
  const dir = ctx.build.paths.hooksDir;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'dib_environment'), `${dibEnvironment(ctx.env)}\n`);
  await writeFile(join(dir, 'dib_arguments'), `${dibArguments(ctx.build)}\n`);
}

/** Releases for which DIB does not install software-properties-common. */
const NO_SPC = /^(testing|trixie|unstable|stable)/;

const isApt = (env: Readonly<Env>) => env.DISTRO_NAME === 'ubuntu' || env.DISTRO_NAME === 'debian';

/** The packages `baseline-tools` installs (not mapped), one install each, in order; none off debian/ubuntu. */
export function baselineToolsPackages(env: Readonly<Env>): string[] {
  if (!isApt(env)) return [];
  return ['apt-transport-https', ...(NO_SPC.test(env.DIB_RELEASE ?? '') ? [] : ['software-properties-common'])];
}

/** The generic names `baseline-environment` installs through base's pkg-map (strictly). */
export function baselineEnvironmentPackages(env: Readonly<Env>): string[] {
  return (env.DIB_SKIP_BASE_PACKAGE_INSTALL ?? '0') !== '0' ? [] : ['iscsi_package'];
}

/** pre-install 3 `baseline-tools` (debian, ubuntu): apt-get update, apt-transport-https, software-properties-common. */
export async function baselineTools(ctx: PhaseContext): Promise<void> {
  if (!isApt(ctx.env)) return;
  await ctx.target.run('apt-get', ['-y', 'update']);
  for (const p of baselineToolsPackages(ctx.env)) await installPackages(ctx, [p]);
}

/** install 0 `baseline-environment`: iscsi_package unless DIB_SKIP_BASE_PACKAGE_INSTALL. */
export async function baselineEnvironment(ctx: PhaseContext): Promise<void> {
  const pkgs = baselineEnvironmentPackages(ctx.env);
  if (pkgs.length === 0) return;
  await installPackages(ctx, pkgs, { element: 'base', strict: true });
}

/** preseedPackages: what baseline-tools and baseline-environment will install, under their conditions. */
export function basePreseed(list: PreseedRequest, ctx: PreseedContext): PreseedPackage[] {
  return [
    ...list,
    ...baselineToolsPackages(ctx.env).map((p) => ({ package: p })),
    ...baselineEnvironmentPackages(ctx.env).map((p) => ({ package: p, element: 'base', strict: true })),
  ];
}

/** install 0 `up-to-date`: upgrade everything unless DIB_AVOID_PACKAGES_UPDATE. */
export async function upToDate(ctx: PhaseContext): Promise<void> {
  if ((ctx.env.DIB_AVOID_PACKAGES_UPDATE ?? '0') !== '0') return;
  await upgradePackages(ctx);
}

/** install 10 `cloud-init`: /etc/cloud/cloud.cfg.d, and manage_etc_hosts from DIB_CLOUD_INIT_ETC_HOSTS. */
export async function cloudInit(ctx: PhaseContext): Promise<void> {
  const dir = await imagePath(ctx.targetRoot, 'etc/cloud/cloud.cfg.d');
  await mkdir(dir, { recursive: true });
  const hosts = ctx.env.DIB_CLOUD_INIT_ETC_HOSTS;
  if (hosts) await writeFile(join(dir, '10_etc_hosts.cfg'), `manage_etc_hosts: ${hosts}\n`);
}

/** Baseline of every image: init system, install types, manifests, package installs. */
export default defineElement({
  name: 'base',
  description: 'Baseline of every image: init system, install types, manifests, package installs.',
  deps: ['dib-init-system', 'install-types', 'pkg-map'],
  provides: [],
  environment: { DIB_AVOID_PACKAGES_UPDATE: '0', DIB_SKIP_BASE_PACKAGE_INSTALL: '0' },
  pkgMap: BASE_PKG_MAP,
  apply(build) {
    build.hooks.extraData.tapPromise({ name: 'store-build-settings', stage: 50 }, storeBuildSettings);
    build.hooks.preInstall.tapPromise({ name: 'baseline-tools', stage: 3 }, baselineTools);
    build.hooks.install.tapPromise({ name: 'baseline-environment', stage: 0 }, baselineEnvironment);
    build.hooks.install.tapPromise({ name: 'up-to-date', stage: 0 }, upToDate);
    build.hooks.install.tapPromise({ name: 'cloud-init', stage: 10 }, cloudInit);
    getPackageInstallsHooks(build).preseedPackages.tapPromise('base', async (list, ctx) => basePreseed(list, ctx));
  },
});
