import { defineOsElement, type PhaseContext } from '@dib/core';
import { aptProgress } from '@dib/element-dpkg';
import { aptInTarget, getDebootstrapHooks, installAptKeyring, preinstallEnabled, upgradeAndInstallBase, writeTargetFile } from '@dib/element-debootstrap';
import { UBUNTU_PACKAGES, ubuntuBasePackages, ubuntuEnvironment, ubuntuMirror, ubuntuSourcesLines, ubuntuSourcesList } from './env.js';

export * from './env.js';

async function baseinstall(ctx: PhaseContext): Promise<void> {
  const { env, targetRoot: root } = ctx;
  const key = await installAptKeyring(root, env);
  if (key) ctx.log.info(`apt trusts ${key.slice(root.length)}`);
  await writeTargetFile(root, 'etc/apt/sources.list', ubuntuSourcesList(env));
  await upgradeAndInstallBase(ctx, ubuntuBasePackages(env), preinstallEnabled(env));
}

/** ubuntu-common: IPv6 temporary (RFC 3041/4941) addresses off. */
async function disableIpv6Privacy(ctx: PhaseContext): Promise<void> {
  await writeTargetFile(ctx.targetRoot, 'etc/sysctl.d/10-ipv6-privacy.conf', 'net.ipv6.conf.all.use_tempaddr = 0\nnet.ipv6.conf.default.use_tempaddr = 0\n');
}

/** A minimal Ubuntu root. */
export default defineOsElement({
  name: 'ubuntu-minimal',
  description: 'A minimal Ubuntu root.',
  deps: ['debootstrap', 'package-installs'],
  os: {
    distro: 'ubuntu',
    family: 'debian',
    release: (env) => env.DIB_RELEASE,
    releaseUrl: (env) => (env.DIB_RELEASE ? `${ubuntuMirror(env).replace(/\/+$/, '')}/dists/${env.DIB_RELEASE}/Release` : undefined),
    releaseHint: 'check DIB_RELEASE (a codename such as noble) and DIB_DISTRIBUTION_MIRROR',
    progress: aptProgress,
  },
  environment: ubuntuEnvironment,
  packages: UBUNTU_PACKAGES,
  apply(build) {
    const bootstrap = getDebootstrapHooks(build);
    bootstrap.include.tap('ubuntu-minimal', (pkgs, env) => [...pkgs, ...ubuntuBasePackages(env)]);
    bootstrap.sources.tap('ubuntu-minimal', (_lines, env) => ubuntuSourcesLines(env));
    build.hooks.root.tapPromise({ name: 'ubuntu-minimal-baseinstall', stage: 75 }, baseinstall);
    build.hooks.install.tapPromise({ name: 'disable-ipv6-privacy', stage: 80 }, disableIpv6Privacy);
    build.hooks.postInstall.tapPromise({ name: 'autoremove', stage: 99 }, async (ctx) => {
      await aptInTarget(ctx, '-y', 'autoremove');
    });
  },
});
