import { defineOsElement, DibError, type Env, type PhaseContext } from '@dib/core';
import { aptProgress } from '@dib/element-dpkg';
import {
  debLines,
  getDebootstrapHooks,
  installAptKeyring,
  parseSourcesConf,
  preinstallEnabled,
  upgradeAndInstallBase,
  writeAptSources,
} from '@dib/element-debootstrap';
import { DEBIAN_BASE_PACKAGES, debianEnvironment, debianMirror, defaultSourcesConf } from './env.js';

export * from './env.js';

/**
 * The sources the bootstrap itself uses: the image's own when they are DIB's defaults (all
 * signed by the Debian archive key), so the cached root is already up to date; with a
 * DIB_APT_SOURCES_CONF of the user's, the main mirror alone, as DIB bootstraps.
 */
export function debianBootstrapSources(env: Readonly<Env>): string[] {
  const conf = env.DIB_APT_SOURCES_CONF;
  if (!conf || conf !== defaultSourcesConf(env)) return [];
  return debLines(parseSourcesConf(conf));
}

async function baseinstall(ctx: PhaseContext): Promise<void> {
  const { env, targetRoot: root } = ctx;
  const conf = env.DIB_APT_SOURCES_CONF;
  if (!conf) {
    throw new DibError('E_CONFIG_VALUE', 'debian-minimal: DIB_APT_SOURCES_CONF is empty', { hint: "set DIB_APT_SOURCES_CONF to lines of 'name:deb URI SUITE COMPONENTS', or unset it for the defaults" });
  }
  const key = await installAptKeyring(root, env);
  if (key) ctx.log.info(`apt trusts ${key.slice(root.length)}`);
  const files = await writeAptSources(root, parseSourcesConf(conf));
  ctx.log.info(`apt sources: ${files.map((f) => f.slice(root.length)).join(', ')}`);
  await upgradeAndInstallBase(ctx, DEBIAN_BASE_PACKAGES, preinstallEnabled(env));
}

/** A minimal Debian root. */
export default defineOsElement({
  name: 'debian-minimal',
  description: 'A minimal Debian root.',
  deps: ['debootstrap', 'pkg-map'],
  os: {
    distro: 'debian',
    family: 'debian',
    release: (env) => env.DIB_RELEASE,
    releaseUrl: (env) => (env.DIB_RELEASE ? `${debianMirror(env).replace(/\/+$/, '')}/dists/${env.DIB_RELEASE}/Release` : undefined),
    releaseHint: 'check DIB_RELEASE (a codename such as bookworm, or stable) and DIB_DISTRIBUTION_MIRROR',
    progress: aptProgress,
  },
  environment: debianEnvironment,
  packages: {
    'linux-image-amd64': { arch: 'amd64' },
    'linux-image-686': { arch: 'i386' },
    'linux-image-arm64': { arch: 'arm64' },
    netbase: null,
    'initramfs-tools': null,
  },
  apply(build) {
    const bootstrap = getDebootstrapHooks(build);
    bootstrap.include.tap('debian-minimal', (pkgs) => [...pkgs, ...DEBIAN_BASE_PACKAGES]);
    bootstrap.sources.tap('debian-minimal', (_lines, env) => debianBootstrapSources(env));
    build.hooks.root.tapPromise({ name: 'debian-minimal-baseinstall', stage: 75 }, baseinstall);
  },
});
