/**
 * The operating-system element contract. An OS element (debian-minimal, ubuntu-minimal,
 * busybox-root, …) provides `operating-system` and says, as data the core and other elements
 * read, which distribution it builds, of which family, which release, with which package
 * manager, where its releases are published (checked before any work), and how its package
 * manager's output reads as progress. The families table is the one place that knows which
 * distributions belong together (DIB's pkg-map families) and which element installs packages
 * for them.
 */
import { defineElement, type Element, type ElementDefinition, type ResolvedElement } from './element.js';
import type { Env, ProgressReader } from '../vocabulary.js';

export type { PackageProgress, ProgressReader } from '../vocabulary.js';

/** A family of distributions: they share package names in pkg-map and a package manager. */
export interface OsFamily {
  /** DIB's family name (pkg-map's `family.<name>`) */
  name: string;
  /** DISTRO_NAME values of the family */
  distros: readonly string[];
  /** the package manager its distributions use */
  packageManager: string;
  /** the element that answers `installPackages` for it (named in errors when none does) */
  packageElement: string;
}

/** DIB's families (pkg-map's), with their package managers. */
export const OS_FAMILIES: readonly OsFamily[] = Object.freeze([
  { name: 'debian', distros: ['debian', 'ubuntu'], packageManager: 'apt', packageElement: 'dpkg' },
  { name: 'redhat', distros: ['almalinux', 'fedora', 'rhel', 'centos', 'openeuler', 'rocky'], packageManager: 'dnf', packageElement: 'yum' },
  { name: 'suse', distros: ['opensuse'], packageManager: 'zypper', packageElement: 'zypper' },
  { name: 'gentoo', distros: ['gentoo'], packageManager: 'portage', packageElement: 'gentoo' },
]);

/** The family of a DISTRO_NAME, if it has one. */
export function osFamilyOf(distro: string | undefined): OsFamily | undefined {
  return distro === undefined ? undefined : OS_FAMILIES.find((f) => f.distros.includes(distro));
}

export interface OsDefinition {
  /** DISTRO_NAME of the image (`debian`) */
  distro: string;
  /** family (a name of OS_FAMILIES, or a family of its own when `packageManager` is set) */
  family: string;
  /** the release being built, from the final environment (DIB_RELEASE) */
  release(env: Readonly<Env>): string | undefined;
  /** the package manager (default: the family's) */
  packageManager?: string;
  /**
   * An http(s) URL that exists exactly when the release does (a Debian mirror's
   * `dists/<release>/Release`): checked before any work; a 404 is E_RELEASE_NOT_FOUND.
   * Undefined: nothing to check (a root made from local files).
   */
  releaseUrl?(env: Readonly<Env>): string | undefined;
  /** what to check when the release is not found (`check DIB_RELEASE and DIB_DISTRIBUTION_MIRROR`) */
  releaseHint?: string;
  /** a new reader of the package manager's output, for progress events */
  progress?(): ProgressReader;
}

/** An element that builds an operating system. */
export interface OsElement extends Element {
  readonly os: OsDefinition;
}

export function isOsElement(el: Element): el is OsElement {
  return typeof (el as Partial<OsElement>).os === 'object' && (el as Partial<OsElement>).os !== null;
}

/**
 * Declare an OS element: it provides `operating-system` and carries its OS definition for the
 * core. Its `environment` exports DISTRO_NAME and DIB_RELEASE, as DIB's OS elements do.
 */
export function defineOsElement(def: ElementDefinition & { os: OsDefinition }): OsElement {
  const { os, ...rest } = def;
  const el = defineElement({ ...rest, provides: [...new Set([...(rest.provides ?? []), 'operating-system'])] });
  return Object.freeze({ ...el, os: Object.freeze({ ...os }) });
}

/** Where a build's release is published, as its OS element says. */
export interface ReleaseTarget {
  distro: string;
  release: string;
  url: string;
  hint: string;
}

/** The release target of a build, or undefined when its OS element has nothing to check. */
export function releaseTargetOf(elements: readonly ResolvedElement[], env: Readonly<Env>): ReleaseTarget | undefined {
  const os = osElementOf(elements)?.element.os;
  const url = os?.releaseUrl?.(env);
  const release = os?.release(env);
  if (!os || !url || !release) return undefined;
  return { distro: os.distro, release, url, hint: os.releaseHint ?? `check the release '${release}' of ${os.distro}` };
}

/** The OS element of a build (the element that provides operating-system and says what it is). */
export function osElementOf(elements: readonly ResolvedElement[]): (ResolvedElement & { element: OsElement }) | undefined {
  return elements.find((e): e is ResolvedElement & { element: OsElement } => isOsElement(e.element));
}
