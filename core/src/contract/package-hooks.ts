/**
 * The core's package hooks: the services that installing packages needs, owned by the core and
 * answered by elements, so that TypeScript elements, DIB scripts (`install-packages`, `pkg-map`
 * in the chroot) and dib's commands (`dib pkg-map`, `dib packages`) share one path:
 *  - `installPackages`: the OS family's element (dpkg for apt) installs, removes or upgrades;
 *  - `mapPackages`: the pkg-map element maps generic names through an element's pkg-map;
 *  - `pkgMapTool`: the pkg-map element runs DIB's `pkg-map` command line;
 *  - `plannedPackages`: the package-installs element says what it will install, per phase.
 * Each is a bail hook: the first tap that answers wins; no answer means no element offers it.
 */
import { AsyncSeriesBailHook } from 'tapable';
import { createHooksRegistry } from './hooks-registry.js';
import type { Build, PhaseContext } from './build.js';

export type PackageAction = 'install' | 'uninstall' | 'upgrade';

/** A request to the package manager: `upgrade` ignores `packages` (dist-upgrade). */
export interface PackageRequest {
  action: PackageAction;
  packages: string[];
}

/** Map `names` through the pkg-map of `element` for the build's distro and release. */
export interface MapRequest {
  element: string;
  names: readonly string[];
  /** unknown names (or no map) pass unchanged, as `pkg-map --missing-ok`; else an error */
  missingOk: boolean;
}

/** DIB's `pkg-map` command line (`pkg-map [--element E | --pkg-map F] … NAME…`). */
export interface PkgMapToolRequest {
  argv: readonly string[];
  /** DISTRO_NAME, DIB_RELEASE and DIB_PKG_MAP_DIR as the command sees them */
  env: Readonly<Record<string, string | undefined>>;
}

export interface PkgMapToolResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Per DIB phase dir (`install.d`, …): `[package, element]` pairs to install and to remove. */
export type PlannedPackages = Record<string, { install?: Array<[string, string]>; uninstall?: Array<[string, string]> }>;

export interface PlannedPackagesAnswer {
  packages: PlannedPackages;
  /** the exact text the build writes into the image (package-installs' squashed JSON) */
  text: string;
}

export interface PackageHooks {
  installPackages: AsyncSeriesBailHook<[PhaseContext, PackageRequest], true | undefined>;
  mapPackages: AsyncSeriesBailHook<[PhaseContext, MapRequest], string[] | undefined>;
  pkgMapTool: AsyncSeriesBailHook<[PkgMapToolRequest], PkgMapToolResult | undefined>;
  plannedPackages: AsyncSeriesBailHook<[], PlannedPackagesAnswer | undefined>;
}

export const getPackageHooks: (build: Build) => PackageHooks = createHooksRegistry('packages', () =>
  Object.freeze({
    installPackages: new AsyncSeriesBailHook<[PhaseContext, PackageRequest], true | undefined>(['ctx', 'request']),
    mapPackages: new AsyncSeriesBailHook<[PhaseContext, MapRequest], string[] | undefined>(['ctx', 'request']),
    pkgMapTool: new AsyncSeriesBailHook<[PkgMapToolRequest], PkgMapToolResult | undefined>(['request']),
    plannedPackages: new AsyncSeriesBailHook<[], PlannedPackagesAnswer | undefined>([]),
  }),
);
