/**
 * pkg-map as a library: DIB's overlay of `default` → `family` → `distro` → `release`
 * (docs/dib-behaviour.md#pkg-map), and reading an element's map (the `pkgMap` field or a `pkg-map` file).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DibError, OS_FAMILIES, osFamilyOf } from '@dib/core';
import type { PkgMap, ResolvedElement } from '@dib/core';

/** OS families as DIB's pkg-map defines them (the core's families table). */
export const FAMILIES: Readonly<Record<string, readonly string[]>> = Object.freeze(Object.fromEntries(OS_FAMILIES.map((f) => [f.name, f.distros])));

/** The family of a distro (`ubuntu` → `debian`), or undefined. */
export function familyOf(distro: string): string | undefined {
  return osFamilyOf(distro)?.name;
}

/** Release as pkg-map looks it up (`8-stream` → `8`). */
export function majorRelease(release: string | undefined): string | undefined {
  return release === '8-stream' ? '8' : release;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Check that `x` has pkg-map's shape; `source` names the element or file in the error.
 * Unknown top-level keys are ignored, as DIB does.
 */
export function validatePkgMap(x: unknown, source: string): PkgMap {
  if (!isRecord(x)) {
    throw new DibError('E_PKG_MAP', `pkg-map of ${source} is not a JSON object`, { hint: 'a pkg-map is {"default": {…}, "family": {…}, "distro": {…}, "release": {…}}' });
  }
  const names = (m: unknown, key: string) => {
    if (!isRecord(m)) throw new DibError('E_PKG_MAP', `pkg-map of ${source}: ${key} is not an object`, { hint: 'map generic names to package names: {"name": "package"}' });
    for (const [k, v] of Object.entries(m)) {
      if (typeof v !== 'string' && v !== null) {
        throw new DibError('E_PKG_MAP', `pkg-map of ${source}: ${key}.${k} is not a string`, { hint: 'a value is a package name, several separated by spaces, or "" for none' });
      }
    }
  };
  if (x.default !== undefined) names(x.default, 'default');
  for (const level of ['family', 'distro'] as const) {
    const v = x[level];
    if (v === undefined) continue;
    if (!isRecord(v)) throw new DibError('E_PKG_MAP', `pkg-map of ${source}: ${level} is not an object`, { hint: `"${level}": {"<name>": {"generic": "package"}}` });
    for (const [k, m] of Object.entries(v)) names(m, `${level}.${k}`);
  }
  if (x.release !== undefined) {
    if (!isRecord(x.release)) throw new DibError('E_PKG_MAP', `pkg-map of ${source}: release is not an object`, { hint: '"release": {"<distro>": {"<release>": {"generic": "package"}}}' });
    for (const [d, rels] of Object.entries(x.release)) {
      if (!isRecord(rels)) throw new DibError('E_PKG_MAP', `pkg-map of ${source}: release.${d} is not an object`, { hint: '"release": {"<distro>": {"<release>": {…}}}' });
      for (const [r, m] of Object.entries(rels)) names(m, `release.${d}.${r}`);
    }
  }
  return x as PkgMap;
}

/** Parse the text of a pkg-map file (JSON, as DIB requires). */
export function parsePkgMap(text: string, source: string): PkgMap {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new DibError('E_PKG_MAP', `unable to parse pkg-map ${source}: ${(e as Error).message}`, { hint: 'a pkg-map file is JSON' });
  }
  return validatePkgMap(data, source);
}

/**
 * The effective name map for a distro/release: default, then the family, the distro and the
 * release overlaid (later wins per key). `null` values count as "maps to nothing", like `""`.
 */
export function effectiveMap(map: PkgMap, distro: string, release?: string): Map<string, string> {
  const out = new Map<string, string>();
  const put = (m: Record<string, string | null> | undefined) => {
    if (!m) return;
    for (const [k, v] of Object.entries(m)) out.set(k, v ?? '');
  };
  put(map.default);
  const fam = familyOf(distro);
  if (fam !== undefined) put(map.family?.[fam]);
  put(map.distro?.[distro]);
  const rel = majorRelease(release);
  if (rel !== undefined) put(map.release?.[distro]?.[rel]);
  return out;
}

export interface MapPackagesOptions {
  /** the map; undefined = the element has none (every name unmapped) */
  map: PkgMap | undefined;
  distro: string;
  release?: string;
  names: readonly string[];
  /** names without a mapping pass unchanged (DIB's `--missing-ok`) */
  missingOk?: boolean;
  /** element or file named in errors */
  source?: string;
}

export interface MapPackagesResult {
  /** one entry per printed line: the mapped value verbatim (may hold several names) */
  lines: string[];
  /** `lines` split on whitespace: the package names to hand to the package manager */
  packages: string[];
  /** names without a mapping (with missingOk they are in `lines` unchanged) */
  unmapped: string[];
  /** names mapped to `""`: dropped */
  dropped: string[];
}

/**
 * Map names as `pkg-map` does. Without `missingOk`, an unmapped name (or no map at all) is
 * a DibError `E_PKG_MAP`.
 */
export function mapPackages(opts: MapPackagesOptions): MapPackagesResult {
  const source = opts.source ?? 'pkg-map';
  const res: MapPackagesResult = { lines: [], packages: [], unmapped: [], dropped: [] };
  if (opts.map === undefined) {
    if (!opts.missingOk && opts.names.length > 0) {
      throw new DibError('E_PKG_MAP', `required pkg-map for ${source} does not exist`, { hint: `give ${source} a pkgMap (or a pkg-map file), or map with missingOk` });
    }
    res.lines.push(...opts.names);
    res.unmapped.push(...opts.names);
  } else {
    const m = effectiveMap(opts.map, opts.distro, opts.release);
    for (const name of opts.names) {
      const v = m.get(name);
      if (v) res.lines.push(v);
      else if (m.has(name)) res.dropped.push(name);
      else if (opts.missingOk) {
        res.lines.push(name);
        res.unmapped.push(name);
      } else {
        throw new DibError('E_PKG_MAP', `${source} has no valid mapping for package ${name} (distro ${opts.distro}${opts.release ? `, release ${opts.release}` : ''})`, {
          hint: `add "${name}" to the default, family, distro or release section of ${source}'s pkg-map`,
        });
      }
    }
  }
  res.packages = res.lines.flatMap((l) => l.split(/\s+/).filter(Boolean));
  return res;
}

/** Name of the map file an element may ship in its directory. */
export const PKG_MAP_FILE = 'pkg-map';

/**
 * An element's pkg-map: the `pkgMap` field, else a `pkg-map` file in its directory, else
 * undefined. Errors name the element and the file.
 */
export async function readElementPkgMap(el: Pick<ResolvedElement, 'name' | 'dir' | 'element'>): Promise<PkgMap | undefined> {
  if (el.element.pkgMap !== undefined) return validatePkgMap(el.element.pkgMap, `element ${el.name}`);
  const text = await readElementPkgMapFile(el);
  if (text === undefined) return undefined;
  return parsePkgMap(text, `element ${el.name} (${join(el.dir, PKG_MAP_FILE)})`);
}

/** The raw text of an element's `pkg-map` file, or undefined if it has none. */
export async function readElementPkgMapFile(el: Pick<ResolvedElement, 'dir'>): Promise<string | undefined> {
  try {
    return await readFile(join(el.dir, PKG_MAP_FILE), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return undefined;
    throw e;
  }
}
