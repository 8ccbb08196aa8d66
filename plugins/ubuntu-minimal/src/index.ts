import { defineOsElement, type PhaseContext } from '@dib/core';
import { aptProgress } from '@dib/element-dpkg';
import { getDebootstrapHooks, installAptKeyring, preinstallEnabled, upgradeAndInstallBase, writeTargetFile } from '@dib/element-debootstrap';
import { UBUNTU_PACKAGES, ubuntuBasePackages, ubuntuMinimalEnvironment, ubuntuMirror, ubuntuSourcesLines, ubuntuSourcesList } from './env.js';

export * from './env.js';

async function baseinstall(ctx: PhaseContext): Promise<void> {
  const { env, targetRoot: root } = ctx;
  const key = await installAptKeyring(root, env);
  if (key) ctx.log.info(`apt trusts ${key.slice(root.length)}`);
  await writeTargetFile(root, 'etc/apt/sources.list', ubuntuSourcesList(env));
  await upgradeAndInstallBase(ctx, ubuntuBasePackages(env), preinstallEnabled(env));
}

/** A minimal Ubuntu root. */
export default defineOsElement({
  name: 'ubuntu-minimal',
  description: 'A minimal Ubuntu root.',
  deps: ['debootstrap', 'package-installs', 'ubuntu-common'],
  os: {
    distro: 'ubuntu',
    family: 'debian',
    release: (env) => env.DIB_RELEASE,
    releaseUrl: (env) => (env.DIB_RELEASE ? `${ubuntuMirror(env).replace(/\/+$/, '')}/dists/${env.DIB_RELEASE}/Release` : undefined),
    releaseHint: 'check DIB_RELEASE (a codename such as noble) and DIB_DISTRIBUTION_MIRROR',
    progress: aptProgress,
  },
  environment: ubuntuMinimalEnvironment,
  packages: UBUNTU_PACKAGES,
  apply(build) {
    const bootstrap = getDebootstrapHooks(build);
    bootstrap.include.tap('ubuntu-minimal', (pkgs, env) => [...pkgs, ...ubuntuBasePackages(env)]);
    bootstrap.sources.tap('ubuntu-minimal', (_lines, env) => ubuntuSourcesLines(env));
    build.hooks.root.tapPromise({ name: 'ubuntu-minimal-baseinstall', stage: 75 }, baseinstall);
  },
});
