/**
 * Preseeding: packages a build will install anyway, which an OS bootstrap may put into the
 * root it caches (debootstrap adds them to the bootstrap), so that later builds find them
 * installed and the install taps are fast no-ops. Elements contribute through the
 * `preseedPackages` waterfall hook; `preseedPackageList` maps and sorts the result.
 */
import { mapPackages, readElementPkgMap } from '@dib/element-pkg-map';
import type { Build, Env, ResolvedElement } from '@dib/core';
import { squashBuild } from './collect.js';
import { getPackageInstallsHooks } from './hooks.js';
import type { Squashed } from './squash.js';

/** One package a build will install, by the name an element asks for it. */
export interface PreseedPackage {
  /** the generic name, as the element installs it */
  package: string;
  /** the element whose pkg-map maps the name (as `installPackages(…, { element })`); none: used as it is */
  element?: string;
  /**
   * The install maps strictly (DIB's `install-packages -m` without `--missing-ok`): a name the
   * map does not know is left out here (the install tap reports the error).
   */
  strict?: boolean;
}

/** What a preseed tap may look at: the build and its final environment. */
export interface PreseedContext {
  readonly build: Build;
  readonly env: Readonly<Env>;
  readonly elements: readonly ResolvedElement[];
}

/** The waterfall's value: the packages asked for so far (a tap returns the list with its own appended). */
export type PreseedRequest = readonly PreseedPackage[];

/**
 * Every package in the install lists of the squash (any phase), except those that some phase
 * uninstalls (build-only packages, or packages another element removes later).
 */
export function squashedInstalls(squashed: Squashed): PreseedPackage[] {
  const removed = new Set<string>();
  for (const phase of Object.values(squashed)) for (const [pkg] of phase.uninstall ?? []) removed.add(pkg);
  const out: PreseedPackage[] = [];
  for (const phase of Object.keys(squashed).sort()) {
    for (const [pkg, element] of squashed[phase]!.install ?? []) if (!removed.has(pkg)) out.push({ package: pkg, element });
  }
  return out;
}

/** package-installs' own contribution: the plain install requests of every element. */
export async function packageInstallsPreseed(list: PreseedRequest, ctx: PreseedContext): Promise<PreseedPackage[]> {
  const squashed = await squashBuild({ elements: ctx.elements, env: ctx.env, installTypeOf: (e) => ctx.build.installTypeOf(e) });
  return [...list, ...squashedInstalls(squashed)];
}

/**
 * The final package names (distribution names, mapped through each element's pkg-map for
 * DISTRO_NAME/DIB_RELEASE as the installs map them), unique and sorted: the same whatever
 * order the elements were listed or applied in.
 */
export async function preseedPackageList(build: Build, env: Readonly<Env> = build.env): Promise<string[]> {
  const ctx: PreseedContext = { build, env, elements: build.elements };
  const requests = (await getPackageInstallsHooks(build).preseedPackages.promise([], ctx)) ?? [];
  return mapPreseed(requests, ctx);
}

/** Map preseed requests as the installs would (see `preseedPackageList`). */
export async function mapPreseed(requests: PreseedRequest, ctx: Pick<PreseedContext, 'env' | 'elements'>): Promise<string[]> {
  const out = new Set<string>();
  const groups = new Map<string, { element?: string; strict: boolean; names: Set<string> }>();
  for (const r of requests) {
    const name = r.package.trim();
    if (!name) continue;
    const k = `${r.element ?? ''}\0${r.strict ? 1 : 0}`;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { ...(r.element !== undefined ? { element: r.element } : {}), strict: !!r.strict, names: new Set() }));
    g.names.add(name);
  }
  const distro = ctx.env.DISTRO_NAME;
  for (const g of groups.values()) {
    const names = [...g.names].sort();
    if (g.element === undefined) {
      // installPackages without an element: words, not mapped
      for (const n of names) for (const w of n.split(/\s+/)) if (w) out.add(w);
      continue;
    }
    // an element not in the build has no map: the install would use the names as they are
    const el = ctx.elements.find((e) => e.name === g.element);
    const map = el ? await readElementPkgMap(el) : undefined;
    // without DISTRO_NAME the install fails to map: nothing is preseeded for this element
    if (!distro) continue;
    const source = `element ${g.element}`;
    if (!g.strict) {
      for (const p of mapPackages({ map, distro, release: ctx.env.DIB_RELEASE, names, missingOk: true, source }).packages) out.add(p);
      continue;
    }
    for (const n of names) {
      const res = mapPackages({ map, distro, release: ctx.env.DIB_RELEASE, names: [n], missingOk: true, source });
      if (res.unmapped.length === 0) for (const p of res.packages) out.add(p);
    }
  }
  return [...out].sort();
}
