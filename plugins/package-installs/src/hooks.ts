/**
 * package-installs' own hook (`preseedPackages`, webpack's getCompilationHooks pattern) and
 * the calls elements use to install packages: requests go to the core's `installPackages`
 * hook (`getPackageHooks(build)`), which the OS family's element answers (dpkg for apt).
 */
import { AsyncSeriesWaterfallHook } from 'tapable';
import { createHooksRegistry, DibError, getPackageHooks, osFamilyOf } from '@dib/core';
import type { Build, PackageRequest, PhaseContext } from '@dib/core';
import { mapPackages, readElementPkgMap } from '@dib/element-pkg-map';
import type { PreseedContext, PreseedRequest } from './preseed.js';

export type { PackageAction, PackageRequest } from '@dib/core';

export interface PackageInstallsHooks {
  /**
   * Packages the build will install anyway, which the OS bootstrap may put into the root it
   * caches (`preseedPackageList`). Each tap returns the list with its own requests appended,
   * under the same conditions as the taps that install them. package-installs adds the plain
   * install requests of every element; base and bootloader add theirs.
   */
  preseedPackages: AsyncSeriesWaterfallHook<[PreseedRequest, PreseedContext]>;
}

export const getPackageInstallsHooks: (build: Build) => PackageInstallsHooks = createHooksRegistry('package-installs', () =>
  Object.freeze({
    preseedPackages: new AsyncSeriesWaterfallHook<[PreseedRequest, PreseedContext]>(['packages', 'ctx']),
  }),
);
/** The element that installs packages for a distro, for error messages. */
export function packageElementFor(distro: string | undefined): string {
  return osFamilyOf(distro)?.packageElement ?? 'the operating system element';
}

/** Hand a request to the OS element. Empty install/uninstall lists do nothing, as DIB's install-packages. */
export async function requestPackages(ctx: PhaseContext, request: PackageRequest): Promise<void> {
  if (request.action !== 'upgrade' && request.packages.length === 0) {
    ctx.log.info(`Not running install-packages ${request.action === 'uninstall' ? 'remove' : 'install'} with empty packages list`);
    return;
  }
  const answered = await getPackageHooks(ctx.build).installPackages.promise(ctx, request);
  if (answered !== true) {
    const distro = ctx.env.DISTRO_NAME;
    throw new DibError('E_PACKAGE_INSTALLS', `no element installs packages${distro ? ` for ${distro}` : ''} (${request.action} ${request.packages.join(' ')})`.trim(), {
      hint: `add the ${packageElementFor(distro)} element to the build (its OS element usually pulls it in)`,
    });
  }
}

export interface InstallPackagesOptions {
  /** map the names through this element's pkg-map first (DIB's `install-packages -m`) */
  element?: string;
  /** remove instead of install (`install-packages -e`) */
  uninstall?: boolean;
  /**
   * With `element`: fail on a name the map does not know, or when the element has no map
   * (DIB's strict `-m`). Default false: unknown names pass unchanged (`--missing-ok`).
   */
  strict?: boolean;
}

/** Map `names` through an element's pkg-map for this build's distro and release. */
export async function mapForElement(ctx: Pick<PhaseContext, 'elements' | 'env'>, element: string, names: readonly string[], missingOk: boolean): Promise<string[]> {
  const el = ctx.elements.find((e) => e.name === element);
  const map = el ? await readElementPkgMap(el) : undefined;
  const distro = ctx.env.DISTRO_NAME;
  if (!distro) {
    throw new DibError('E_PKG_MAP', `cannot map packages of ${element}: DISTRO_NAME is not set`, { hint: 'the operating-system element sets DISTRO_NAME' });
  }
  return mapPackages({ map, distro, release: ctx.env.DIB_RELEASE, names, missingOk, source: `element ${element}` }).packages;
}

/**
 * Install (or remove) packages in the target now, through the OS element. With
 * `opts.element` the names are mapped through that element's pkg-map first.
 */
export async function installPackages(ctx: PhaseContext, packages: string[], opts: InstallPackagesOptions = {}): Promise<void> {
  const names = opts.element ? await mapForElement(ctx, opts.element, packages, !opts.strict) : packages.flatMap((p) => p.split(/\s+/).filter(Boolean));
  await requestPackages(ctx, { action: opts.uninstall ? 'uninstall' : 'install', packages: names });
}

/** Upgrade every package (`install-packages -u`, apt's dist-upgrade). */
export async function upgradePackages(ctx: PhaseContext): Promise<void> {
  await requestPackages(ctx, { action: 'upgrade', packages: [] });
}
