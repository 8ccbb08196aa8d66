import { promises as fs } from 'node:fs';
import { defineElement, type CacheInputs, type Env, type HostTool, type PhaseContext } from '@dib/core';
import { preseedPackageList } from '@dib/element-package-installs';
import { bootstrapRoot } from './bootstrap.js';
import { emptyTargetDir, onPathSync, readTargetFile, resolveInRoot, targetExists, writeTargetFile } from './fsutil.js';
import { enableLocales, hostsFile, interfacesWithSource, interfaceStanza, localeGenLine, networkdFile, waitOnlineDropIn } from './networking.js';
import { bootstrapPackages, bootstrapSources, DEBOOTSTRAP_RESULT, preseedEnabled } from './hooks.js';
import { splitList } from './words.js';
import { resolveBootstrapSettings } from './settings.js';

export { bootstrapRoot, postBootstrap, removeHostFiles, HOST_COPIED_FILES } from './bootstrap.js';
export type { BootstrapOptions, BootstrapResult } from './bootstrap.js';
export { bootstrapCommand, mmdebstrapArchiveHooks, preseedPattern } from './args.js';
export type { CommandPlan, CommandOptions } from './args.js';
export { rootCacheInputs, rootCacheKey, ROOT_CACHE_FORMAT } from './cachekey.js';
export type { RootCacheInputs } from './cachekey.js';
export { resolveBootstrapSettings, chooseTool, normaliseArch, DEFAULT_KEYRINGS, BASE_INCLUDE, DEBIAN_NAME } from './settings.js';
export type { BootstrapSettings, BootstrapTool, SettingsInputs } from './settings.js';
export { parseSourcesConf, sourcesListFiles, debLines } from './sources.js';
export type { AptSourceEntry } from './sources.js';
export { getDebootstrapHooks, preinstallEnabled, preseedEnabled, bootstrapPackages, bootstrapSources, DEBOOTSTRAP_RESULT, debootstrapResult } from './hooks.js';
export type { DebootstrapHooks, DebootstrapResult } from './hooks.js';
export { splitWords, splitList } from './words.js';
export { writeTargetFile, readTargetFile, resolveInRoot, digestKeyring } from './fsutil.js';
export { aptInTarget, installAptKeyring, upgradeAndInstallBase, writeAptSources } from './apt.js';

/** environment.d of DIB's debootstrap element. */
export const DEBOOTSTRAP_ENV: Readonly<Env> = {
  DIB_DEBOOTSTRAP_DEFAULT_LOCALE: 'C.UTF-8',
  DIB_NETWORK_INTERFACE_NAMES: 'eth0 eth1',
  DIB_DEBIAN_COMPONENTS: 'main',
  DIB_APT_MINIMAL_CREATE_INTERFACES: '1',
};

/**
 * The root tap: bootstrap (or take from the cache) a root holding the OS element's base
 * packages (DIB's root.d installs them too). Packages of later phases are installed by their
 * phases, after the elements that configure them (pre-install.d debconf answers, apt
 * sources), as DIB does; DIB_DEBOOTSTRAP_PRESEED=1 folds them into the bootstrap instead
 * (package-installs' preseed list), which is faster and may give a different image.
 */
async function bootstrap(ctx: PhaseContext): Promise<void> {
  const preseed = preseedEnabled(ctx.env) ? await preseedPackageList(ctx.build, ctx.env) : [];
  if (preseed.length) ctx.log.warn('DIB_DEBOOTSTRAP_PRESEED=1: packages of later phases go into the bootstrapped root, before the elements that configure them run (the image may differ from DIB\'s)');
  const result = await bootstrapRoot({
    targetRoot: ctx.targetRoot,
    env: ctx.env,
    host: ctx.host,
    cache: ctx.cache,
    log: ctx.log,
    include: bootstrapPackages(ctx.build, ctx.env),
    preseed,
    sources: bootstrapSources(ctx.build, ctx.env),
    refresh: ctx.config.refresh === true,
  });
  const { include, preseed: preseeded } = result.settings;
  ctx.state.set(DEBOOTSTRAP_RESULT, { key: result.key, tool: result.tool, hit: result.hit, tarball: result.tarball, timings: result.timings, include, preseed: preseeded });
  if (preseeded.length) ctx.log.info(`preseeded (when the archive has them): ${preseeded.join(' ')}`);
  ctx.log.info(`root ${result.hit ? 'from cache' : 'bootstrapped'} (${result.key}) in ${result.timings.total}s`);
}

function hostTools(env: Readonly<Env>): HostTool[] {
  const forced = env.DIB_DEBOOTSTRAP_TOOL;
  const extra = !!(env.DIB_DEBOOTSTRAP_EXTRA_ARGS || env.DIB_DEBIAN_DEBOOTSTRAP_SCRIPT);
  const ubuntu = env.DISTRO_NAME === 'ubuntu' ? '; Ubuntu roots also need /usr/share/keyrings/ubuntu-archive-keyring.gpg (package ubuntu-keyring)' : '';
  const tools: HostTool[] = [];
  const useDebootstrap = forced === 'debootstrap' || (forced !== 'mmdebstrap' && (extra || !onPathSync('mmdebstrap')) && onPathSync('debootstrap'));
  if (useDebootstrap) {
    tools.push({ command: 'debootstrap', package: 'debootstrap', why: `bootstraps the Debian-family root (mmdebstrap is several times faster)${ubuntu}` });
  } else {
    tools.push({ command: 'mmdebstrap', package: 'mmdebstrap', why: `bootstraps the Debian-family root (debootstrap also works, slower)${ubuntu}` });
    tools.push({ command: 'apt-get', package: 'apt', why: 'mmdebstrap runs apt on the host' });
  }
  tools.push({ command: 'gpgv', package: 'gpgv', why: 'verifies the archive signatures' });
  tools.push({ command: 'tar', package: 'tar', why: 'caches bootstrapped roots' });
  tools.push({ command: 'zstd', package: 'zstd', why: 'compresses cached bootstrapped roots' });
  return tools;
}

/**
 * What the root tap reads from the host besides the build variables, for phase checkpoints:
 * the keyring that verifies the archive, and which tool the host has (mmdebstrap and
 * debootstrap make different roots).
 */
function cacheInputs({ env }: { env: Readonly<Env> }): CacheInputs {
  try {
    const s = resolveBootstrapSettings({ env, available: { mmdebstrap: onPathSync('mmdebstrap'), debootstrap: onPathSync('debootstrap') } });
    return { files: [s.keyring], values: { tool: s.tool } };
  } catch {
    return {}; // a bad setting fails the root phase with its own message
  }
}

async function debianNetworking(ctx: PhaseContext): Promise<void> {
  const { env, targetRoot: root } = ctx;
  const hostname = env.DISTRO_NAME || 'localhost';
  await writeTargetFile(root, 'etc/hostname', `${hostname}\n`);
  await writeTargetFile(root, 'etc/hosts', hostsFile(hostname));
  if ((env.DIB_APT_MINIMAL_CREATE_INTERFACES ?? '1') !== '1') {
    ctx.log.info('DIB_APT_MINIMAL_CREATE_INTERFACES is not 1: no interface configuration written');
    return;
  }
  const names = splitList(env.DIB_NETWORK_INTERFACE_NAMES ?? 'eth0 eth1');
  await fs.mkdir(await resolveInRoot(root, 'etc/network/interfaces.d'), { recursive: true });
  const updated = interfacesWithSource(await readTargetFile(root, 'etc/network/interfaces'));
  if (updated !== undefined) await writeTargetFile(root, 'etc/network/interfaces', updated);
  for (const n of names) await writeTargetFile(root, `etc/network/interfaces.d/${n}`, interfaceStanza(n));
  // A minimal root has no ifupdown: let systemd-networkd bring the NICs up instead, so the
  // VM has networking. Skipped when ifupdown is there (it reads the files above).
  const ifupdown = (await targetExists(root, 'sbin/ifup')) || (await targetExists(root, 'usr/sbin/ifup'));
  const networkd = (await targetExists(root, 'lib/systemd/system/systemd-networkd.service')) || (await targetExists(root, 'usr/lib/systemd/system/systemd-networkd.service'));
  if ((env.DIB_INIT_SYSTEM ?? 'systemd') === 'systemd' && env.DIB_DEBOOTSTRAP_NETWORKD !== '0' && networkd && !ifupdown) {
    await writeTargetFile(root, 'etc/systemd/network/80-dib-dhcp.network', networkdFile(names));
    await ctx.target.run('systemctl', ['enable', 'systemd-networkd.service'], { quiet: true });
    await writeTargetFile(root, 'etc/systemd/system/systemd-networkd-wait-online.service.d/10-dib-any.conf', waitOnlineDropIn());
    ctx.log.info('systemd-networkd enabled with DHCP (set DIB_DEBOOTSTRAP_NETWORKD=0 to leave networking alone)');
  }
}

async function localeGen(ctx: PhaseContext): Promise<void> {
  const { env, targetRoot: root } = ctx;
  const locale = env.DIB_DEBOOTSTRAP_DEFAULT_LOCALE || 'C.UTF-8';
  const current = await readTargetFile(root, 'etc/locale.gen');
  if (current !== undefined) {
    const lines = ['en_US.UTF-8 UTF-8', localeGenLine(locale)].filter((x): x is string => !!x);
    await writeTargetFile(root, 'etc/locale.gen', enableLocales(current, lines));
    await ctx.target.run('locale-gen', [], { quiet: true });
  } else {
    ctx.log.warn('no /etc/locale.gen (locales not installed): no locale generated');
  }
  await writeTargetFile(root, 'etc/default/locale', `LANG=${locale}\n`);
}

async function cleanupDebootstrap(ctx: PhaseContext): Promise<void> {
  const p = await resolveInRoot(ctx.targetRoot, 'etc/sudoers.d');
  await fs.mkdir(p, { recursive: true });
  await fs.chmod(p, 0o755);
  await fs.chown(p, 0, 0).catch(() => undefined);
}

/** Bootstraps a Debian-family root with mmdebstrap or debootstrap. */
export default defineElement({
  name: 'debootstrap',
  description: 'Bootstraps a Debian-family root with mmdebstrap or debootstrap.',
  deps: ['dpkg', 'modprobe', 'pkg-map', 'sysprep'],
  provides: [],
  environment: DEBOOTSTRAP_ENV,
  packages: {
    adduser: null,
    'ca-certificates': null,
    'cloud-initramfs-growroot': null,
    locales: null,
    'lsb-release': { phase: 'pre-install.d' },
  },
  pkgMap: {
    default: { 'cloud-initramfs-growroot': '' },
    release: { debian: { bullseye: { 'cloud-initramfs-growroot': 'cloud-initramfs-growroot' } } },
  },
  hostTools,
  cacheInputs,
  apply(build) {
    build.hooks.root.tapPromise({ name: 'debootstrap', stage: 8 }, bootstrap);
    build.hooks.install.tapPromise({ name: 'debian-networking', stage: 10 }, debianNetworking);
    build.hooks.install.tapPromise({ name: 'debian-locale-gen', stage: 12 }, localeGen);
    build.hooks.install.tapPromise({ name: 'cleanup-debootstrap', stage: 15 }, cleanupDebootstrap);
    build.hooks.cleanup.tapPromise({ name: 'clean-up-cache', stage: 99 }, async (ctx) => {
      await emptyTargetDir(ctx.targetRoot, 'var/lib/apt/lists');
    });
  },
});

export const _internal = { bootstrap, debianNetworking, localeGen, cleanupDebootstrap, hostTools };
