import { defineElement, type PhaseContext } from '@dib/core';
import { getDebootstrapHooks, installAptKeyring, preinstallEnabled, upgradeAndInstallBase, writeTargetFile } from '@dib/element-debootstrap';
import { UBUNTU_PACKAGES, ubuntuBasePackages, ubuntuMinimalEnvironment, ubuntuSourcesLines, ubuntuSourcesList } from './env.js';

export * from './env.js';

async function baseinstall(ctx: PhaseContext): Promise<void> {
  const { env, targetRoot: root } = ctx;
  const key = await installAptKeyring(root, env);
  if (key) ctx.log.info(`apt trusts ${key.slice(root.length)}`);
  await writeTargetFile(root, 'etc/apt/sources.list', ubuntuSourcesList(env));
  await upgradeAndInstallBase(ctx, ubuntuBasePackages(env), preinstallEnabled(env));
}

/** A minimal Ubuntu root. */
export default defineElement({
  name: 'ubuntu-minimal',
  description: 'A minimal Ubuntu root.',
  deps: ['debootstrap', 'package-installs', 'ubuntu-common'],
  provides: ['operating-system'],
  environment: ubuntuMinimalEnvironment,
  packages: UBUNTU_PACKAGES,
  apply(build) {
    const bootstrap = getDebootstrapHooks(build);
    bootstrap.include.tap('ubuntu-minimal', (pkgs, env) => [...pkgs, ...ubuntuBasePackages(env)]);
    bootstrap.sources.tap('ubuntu-minimal', (_lines, env) => ubuntuSourcesLines(env));
    build.hooks.root.tapPromise({ name: 'ubuntu-minimal-baseinstall', stage: 75 }, baseinstall);
  },
});
