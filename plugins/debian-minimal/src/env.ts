/** debian-minimal's environment.d and its apt sources, as pure functions (docs/dib-behaviour.md#debootstrap-debian-minimal-ubuntu-minimal). */
import type { Env } from '@dib/core';

export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';
/**
 * DIB writes `http://security.debian.org/`; for bullseye and later that host serves the
 * security suites only below /debian-security (the bare root answers 400), so dib uses the
 * path that works. DIB_DEBIAN_SECURITY_MIRROR overrides it as in DIB.
 */
export const DEFAULT_DEBIAN_SECURITY_MIRROR = 'http://security.debian.org/debian-security';

/** Releases whose security suite is `<release>/updates` (buster and older). */
const OLD_SECURITY_LAYOUT = new Set(['squeeze', 'wheezy', 'jessie', 'stretch', 'buster']);
/** Releases that get only the `default` source (no updates or security suite). */
const ROLLING = new Set(['testing', 'unstable', 'sid']);

export function securitySubpath(env: Readonly<Env>, release: string): string {
  if (env.DIB_DEBIAN_SECURITY_SUBPATH !== undefined && env.DIB_DEBIAN_SECURITY_SUBPATH !== '') return env.DIB_DEBIAN_SECURITY_SUBPATH;
  return OLD_SECURITY_LAYOUT.has(release) ? '/updates' : '-security';
}

/** DIB's default DIB_APT_SOURCES_CONF for a Debian release. */
export function defaultSourcesConf(env: Readonly<Env>): string {
  const release = env.DIB_RELEASE || 'stable';
  const mirror = debianMirror(env);
  const comps = (env.DIB_DEBIAN_COMPONENTS || 'main').split(',').map((c) => c.trim()).filter(Boolean).join(' ');
  if (ROLLING.has(release)) return `default:deb ${mirror} ${release} ${comps}`;
  const security = env.DIB_DEBIAN_SECURITY_MIRROR || DEFAULT_DEBIAN_SECURITY_MIRROR;
  return [
    `default:deb ${mirror} ${release} ${comps}`,
    `updates:deb ${mirror} ${release}-updates ${comps}`,
    `security:deb ${security} ${release}${securitySubpath(env, release)} ${comps}`,
  ].join('\n');
}

/** DIB_DEBIAN_DISTRIBUTION_MIRROR > DIB_DISTRIBUTION_MIRROR > deb.debian.org. */
export function debianMirror(env: Readonly<Env>): string {
  return env.DIB_DEBIAN_DISTRIBUTION_MIRROR || env.DIB_DISTRIBUTION_MIRROR || DEFAULT_DEBIAN_MIRROR;
}

/** environment.d/10-debian-minimal: DISTRO_NAME, init and EFI dir forced; the rest defaulted. */
export function debianEnvironment(env: Readonly<Env>): Env {
  const release = env.DIB_RELEASE || 'stable';
  const components = env.DIB_DEBIAN_COMPONENTS || 'main';
  const derived: Env = { ...env, DIB_RELEASE: release, DIB_DEBIAN_COMPONENTS: components, DIB_DISTRIBUTION_MIRROR: debianMirror(env) };
  return {
    DISTRO_NAME: 'debian',
    DIB_RELEASE: release,
    DIB_INIT_SYSTEM: 'systemd',
    EFI_BOOT_DIR: 'EFI/debian',
    DIB_DISTRIBUTION_MIRROR: derived.DIB_DISTRIBUTION_MIRROR!,
    DIB_DEBIAN_COMPONENTS: components,
    DIB_DEBIAN_COMPONENTS_WS: components.split(',').map((c) => c.trim()).filter(Boolean).join(' '),
    DIB_APT_SOURCES_CONF: env.DIB_APT_SOURCES_CONF || defaultSourcesConf(derived),
  };
}

/** Kernel package per architecture (package-installs.yaml of debian-minimal). */
export const DEBIAN_KERNELS: Readonly<Record<string, string>> = {
  amd64: 'linux-image-amd64',
  arm64: 'linux-image-arm64',
  i386: 'linux-image-686',
};

/**
 * root.d/75-debian-minimal-baseinstall installs these; folded into the bootstrap's --include
 * (the kernel, netbase and initramfs-tools of the package-installs field are preseeded
 * through package-installs, as every element's install requests are).
 */
export const DEBIAN_BASE_PACKAGES: readonly string[] = ['systemd-sysv', 'busybox', 'sudo', 'gnupg2', 'python3'];
