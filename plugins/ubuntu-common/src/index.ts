/**
 * DIB's ubuntu-common element: what every Ubuntu image shares, whatever made its root
 * (ubuntu-minimal bootstraps one, DIB's `ubuntu` unpacks a cloud image). environment.d
 * (distro, release, components, mirror, init system, EFI directory), IPv6 temporary
 * addresses off (install 80) and `apt-get autoremove` (post-install 99).
 */
import { defineElement } from '@dib/core';
import type { Env, PhaseContext } from '@dib/core';
import { aptInTarget, normaliseArch, writeTargetFile } from '@dib/element-debootstrap';

export const UBUNTU_ARCHIVE = 'http://archive.ubuntu.com/ubuntu';
export const UBUNTU_PORTS = 'http://ports.ubuntu.com/ubuntu-ports';
/** Architectures Ubuntu serves from ports.ubuntu.com. */
export const PORTS_ARCHES: ReadonlySet<string> = new Set(['arm64', 'armhf', 'powerpc', 'ppc64el', 's390x', 'riscv64']);
/** The release built when DIB_RELEASE is unset. */
export const DEFAULT_UBUNTU_RELEASE = 'noble';

/** DIB_DISTRIBUTION_MIRROR, else the archive or ports mirror for ARCH. */
export function ubuntuMirror(env: Readonly<Env>): string {
  if (env.DIB_DISTRIBUTION_MIRROR) return env.DIB_DISTRIBUTION_MIRROR;
  return PORTS_ARCHES.has(normaliseArch(env.ARCH || 'amd64')) ? UBUNTU_PORTS : UBUNTU_ARCHIVE;
}

/**
 * environment.d of ubuntu-common: DISTRO_NAME, DIB_RELEASE and the components default (the
 * user's values win), EFI_BOOT_DIR always, the init system from the release (upstart for trusty).
 */
export function ubuntuCommonEnvironment(env: Readonly<Env>): Env {
  const release = env.DIB_RELEASE || DEFAULT_UBUNTU_RELEASE;
  return {
    DISTRO_NAME: env.DISTRO_NAME || 'ubuntu',
    DIB_RELEASE: release,
    DIB_DEBIAN_COMPONENTS: env.DIB_DEBIAN_COMPONENTS || 'main,universe',
    EFI_BOOT_DIR: 'EFI/ubuntu',
    DIB_DISTRIBUTION_MIRROR: ubuntuMirror(env),
    DIB_INIT_SYSTEM: release === 'trusty' ? 'upstart' : 'systemd',
  };
}

/** The sysctl file install 80 `disable-rfc3041` writes (RFC 3041/4941 temporary addresses off). */
export const IPV6_SYSCTL_FILE = 'etc/sysctl.d/99-cloudimg-ipv6.conf';
export const IPV6_SYSCTL = 'net.ipv6.conf.all.use_tempaddr=0\nnet.ipv6.conf.default.use_tempaddr=0\n';

async function disableRfc3041(ctx: PhaseContext): Promise<void> {
  await writeTargetFile(ctx.targetRoot, IPV6_SYSCTL_FILE, IPV6_SYSCTL);
}

async function autoremove(ctx: PhaseContext): Promise<void> {
  await aptInTarget(ctx, '-y', 'autoremove');
}

/** What every Ubuntu image shares: distro environment, IPv6 privacy addresses off, autoremove. */
export default defineElement({
  name: 'ubuntu-common',
  description: 'What every Ubuntu image shares: distro environment, IPv6 temporary addresses off, apt-get autoremove.',
  deps: ['sysprep'],
  provides: [],
  environment: ubuntuCommonEnvironment,
  apply(build) {
    build.hooks.install.tapPromise({ name: 'disable-rfc3041', stage: 80 }, disableRfc3041);
    build.hooks.postInstall.tapPromise({ name: 'autoremove', stage: 99 }, autoremove);
  },
});
