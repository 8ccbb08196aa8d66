/**
 * busybox-root: a tiny root made from the host's static busybox, with no network and no
 * package manager. Every phase runs on it in seconds, so it is the root of dib's integration
 * tests and demos. It provides `operating-system`.
 */
import { defineOsElement, DibError, getPackageHooks } from '@dib/core';
import { elfArch, findStaticBusyboxSync, makeBusyboxRoot, findStaticBusybox } from './root.js';

export default defineOsElement({
  name: 'busybox-root',
  description: 'A tiny network-free root made from the host busybox-static (tests and demos).',
  // no family and no package manager: nothing is installed, nothing to check on a mirror
  os: { distro: 'busybox', family: 'busybox', packageManager: 'none', release: (env) => env.DIB_RELEASE },
  // every DIB operating-system element brings manifests (through dpkg and its kin); so does this one
  deps: ['manifests'],
  environment: (env) => ({
    DISTRO_NAME: 'busybox',
    DIB_RELEASE: env.DIB_RELEASE ?? 'static',
    DIB_INIT_SYSTEM: env.DIB_INIT_SYSTEM ?? 'sysv',
    // there is no package manager to update with
    DIB_AVOID_PACKAGES_UPDATE: env.DIB_AVOID_PACKAGES_UPDATE ?? '1',
    DIB_SKIP_BASE_PACKAGE_INSTALL: env.DIB_SKIP_BASE_PACKAGE_INSTALL ?? '1',
  }),
  // the root is the host's busybox binary: it runs on the architecture it was built for only
  arches: (env) => {
    const bb = findStaticBusyboxSync(env.DIB_BUSYBOX || undefined);
    const arch = bb ? elfArch(bb) : undefined;
    return arch ? [arch] : undefined;
  },
  hostTools: [{ command: 'busybox', package: 'busybox-static', why: 'busybox-root copies the static busybox into the image' }],
  // the root is a copy of a host file: a new busybox on the host makes a new root
  cacheInputs: ({ env }) => {
    const bb = findStaticBusyboxSync(env.DIB_BUSYBOX || undefined);
    return { files: bb ? [bb] : [] };
  },
  apply(build) {
    // No package manager: requests (rsync for install-static, git for source-repositories…)
    // are answered with a warning naming what the image goes without, not an error, so the
    // DIB helper elements still run on this test root.
    getPackageHooks(build).installPackages.tapPromise('busybox-root', async (ctx, req) => {
      const what = req.action === 'upgrade' ? 'upgrade' : `${req.action} ${req.packages.join(' ')}`;
      ctx.log.warn(`busybox-root has no package manager: not done: ${what}`);
      return true;
    });
    build.hooks.root.tapPromise({ name: 'busybox-root', stage: 10 }, async (ctx) => {
      const busybox = await findStaticBusybox(ctx.env.DIB_BUSYBOX ?? undefined);
      if (!busybox) {
        throw new DibError('E_HOST_TOOL_MISSING', 'busybox-root needs a statically linked busybox on the host', {
          hint: 'apt-get install busybox-static (or set DIB_BUSYBOX to a static busybox binary)',
        });
      }
      await makeBusyboxRoot(ctx.targetRoot, busybox, { hostname: ctx.env.DIB_BUSYBOX_HOSTNAME ?? 'busybox' });
      ctx.log.info(`busybox root made from ${busybox}`);
    });
  },
});
