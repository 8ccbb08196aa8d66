/** ubuntu-minimal's environment, sources and kernel rules, as pure functions (docs/dib-behaviour.md#debootstrap-debian-minimal-ubuntu-minimal); ubuntu-common has the distro's. */
import type { Env, PackageInstalls } from '@dib/core';
import { normaliseArch } from '@dib/element-debootstrap';
import { DEFAULT_UBUNTU_RELEASE, ubuntuCommonEnvironment, ubuntuMirror } from '@dib/element-ubuntu-common';

export { UBUNTU_ARCHIVE, UBUNTU_PORTS, PORTS_ARCHES, ubuntuMirror, ubuntuCommonEnvironment } from '@dib/element-ubuntu-common';

/** LTS releases and their version, for `linux-image-hwe` → `linux-generic-hwe-<version>`. */
export const UBUNTU_LTS: Readonly<Record<string, string>> = {
  xenial: '16.04',
  bionic: '18.04',
  focal: '20.04',
  jammy: '22.04',
  noble: '24.04',
};

/** environment.d of ubuntu-minimal: the kernel flavour and the mirror dists. */
export function ubuntuMinimalEnvironment(env: Readonly<Env>): Env {
  return {
    DIB_UBUNTU_KERNEL: env.DIB_UBUNTU_KERNEL || 'linux-image-generic',
    DIB_UBUNTU_MIRROR_DISTS: env.DIB_UBUNTU_MIRROR_DISTS ?? 'updates,security,backports',
  };
}

/** The environment ubuntu-minimal builds with: its own and ubuntu-common's (its dependency). */
export function ubuntuEnvironment(env: Readonly<Env>): Env {
  const own = ubuntuMinimalEnvironment(env);
  return { ...ubuntuCommonEnvironment({ ...env, ...own }), ...own };
}

function words(list: string | undefined): string[] {
  return (list ?? '').split(/[\s,]+/).filter(Boolean);
}

/** The lines of etc/apt/sources.list, as 75-ubuntu-minimal-baseinstall writes them. */
export function ubuntuSourcesLines(env: Readonly<Env>): string[] {
  const mirror = ubuntuMirror(env);
  const release = env.DIB_RELEASE || DEFAULT_UBUNTU_RELEASE;
  const comps = words(env.DIB_DEBIAN_COMPONENTS || 'main,universe').join(' ');
  const dists = words(env.DIB_UBUNTU_MIRROR_DISTS ?? 'updates,security,backports');
  return [`deb ${mirror} ${release} ${comps}`, ...dists.map((d) => `deb ${mirror} ${release}-${d} ${comps}`)];
}

export function ubuntuSourcesList(env: Readonly<Env>): string {
  return ubuntuSourcesLines(env).join('\n') + '\n';
}

/** The kernel package(s) DIB's `when:` rules select (package-installs.yaml of ubuntu-minimal). */
export function ubuntuKernelPackages(env: Readonly<Env>): string[] {
  const kernel = env.DIB_UBUNTU_KERNEL || 'linux-image-generic';
  const release = env.DIB_RELEASE || DEFAULT_UBUNTU_RELEASE;
  const arm64 = normaliseArch(env.ARCH || 'amd64') === 'arm64';
  switch (kernel) {
    case 'linux-image-generic':
      return [arm64 && release === 'xenial' ? 'linux-generic-hwe-16.04' : 'linux-image-generic'];
    case 'linux-image-kvm':
      return arm64 ? [] : ['linux-image-kvm'];
    case 'linux-image-virtual':
      return ['linux-image-virtual'];
    case 'linux-image-hwe': {
      const v = UBUNTU_LTS[release];
      return v && release !== 'xenial' ? [`linux-generic-hwe-${v}`] : [];
    }
    default:
      return [];
  }
}

/** 75-ubuntu-minimal-baseinstall's packages, folded into the bootstrap's --include (the kernel comes through package-installs' preseed). */
export function ubuntuBasePackages(env: Readonly<Env>): string[] {
  const release = env.DIB_RELEASE || DEFAULT_UBUNTU_RELEASE;
  return [...(release === 'trusty' || release === 'xenial' ? [] : ['systemd-sysv']), 'busybox', 'sudo', 'python3'];
}

const K = 'DIB_UBUNTU_KERNEL';
/** package-installs of ubuntu-minimal, with DIB's `when:` rules (hwe for bionic…noble). */
export const UBUNTU_PACKAGES: PackageInstalls = {
  'linux-image-generic': [
    { 'not-arch': 'arm64', when: `${K} = linux-image-generic` },
    { arch: 'arm64', when: ['DIB_RELEASE != xenial', `${K} = linux-image-generic`] },
  ],
  'linux-generic-hwe-16.04': { arch: 'arm64', when: ['DIB_RELEASE = xenial', `${K} = linux-image-generic`] },
  'linux-image-kvm': { 'not-arch': 'arm64', when: `${K} = linux-image-kvm` },
  'linux-image-virtual': { when: `${K} = linux-image-virtual` },
  ...Object.fromEntries(
    Object.entries(UBUNTU_LTS)
      .filter(([rel]) => rel !== 'xenial')
      .map(([rel, v]) => [`linux-generic-hwe-${v}`, { when: [`${K} = linux-image-hwe`, `DIB_RELEASE = ${rel}`] }]),
  ),
  'initramfs-tools': null,
};
