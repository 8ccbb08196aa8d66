/**
 * Reading package requests: an element's `packages` field and its `package-installs.json` /
 * `package-installs.yaml` files (both when both exist, JSON first, as DIB does), and the
 * deprecated `<phase>.d/package-installs-<element>` lists.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DibError } from '@dib/core';
import type { Build, Env, ResolvedElement } from '@dib/core';
import { squashRequests } from './squash.js';
import type { ElementPackages, InstallTypeOf, Squashed, SquashOptions } from './squash.js';

export const PACKAGE_INSTALLS_FILES = ['package-installs.json', 'package-installs.yaml'] as const;

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** Parse a package-installs file: JSON, else YAML (PyYAML's YAML 1.1, like DIB's safe_load). */
export function parsePackageInstalls(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    try {
      return parseYaml(text, { version: '1.1' });
    } catch (e) {
      throw new DibError('E_PACKAGE_INSTALLS', `cannot parse ${file}: ${(e as Error).message.split('\n')[0]}`, {
        hint: 'package-installs files are JSON or YAML mappings',
      });
    }
  }
}

/** One element's requests, from its field and files. */
export async function collectElementPackages(el: Pick<ResolvedElement, 'name' | 'dir' | 'element'>): Promise<ElementPackages> {
  const sources: ElementPackages['sources'] = [];
  if (el.element.packages !== undefined) sources.push({ source: 'packages field', packages: el.element.packages });
  for (const f of PACKAGE_INSTALLS_FILES) {
    const file = join(el.dir, f);
    const text = await readOptional(file);
    if (text === undefined) continue;
    sources.push({ source: file, packages: parsePackageInstalls(text, file) });
  }
  return { name: el.name, sources };
}

/** The requests of every element (those with none are kept, with no sources). */
export async function collectPackageRequests(elements: readonly Pick<ResolvedElement, 'name' | 'dir' | 'element'>[]): Promise<ElementPackages[]> {
  return Promise.all(elements.map((el) => collectElementPackages(el)));
}

/** The squashed requests of a build (for `dib packages` and the squash tap). */
export async function squashBuild(
  build: Pick<Build, 'elements' | 'env' | 'installTypeOf'>,
  options: SquashOptions = {},
): Promise<Squashed> {
  return squashRequests(await collectPackageRequests(build.elements), build.env, (e) => build.installTypeOf(e), options);
}

/** A deprecated `package-installs-<element>` list: one package a line, `#` comments, `-` = build-only. */
export interface LegacyPackageList {
  element: string;
  file: string;
  /** every package (a leading `-` stripped) */
  install: string[];
  /** packages with a leading `-` */
  uninstall: string[];
}

export function parseLegacyList(text: string, element: string, file: string): LegacyPackageList {
  const out: LegacyPackageList = { element, file, install: [], uninstall: [] };
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('-')) {
      out.install.push(line.slice(1));
      out.uninstall.push(line.slice(1));
    } else out.install.push(line);
  }
  return out;
}

/** The deprecated lists of a phase (`install.d`…) shipped by the elements, sorted by file name. */
export async function legacyPackageLists(elements: readonly Pick<ResolvedElement, 'dir'>[], phaseDir: string): Promise<LegacyPackageList[]> {
  const found = new Map<string, string>();
  for (const el of elements) {
    const dir = join(el.dir, phaseDir);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const n of names) if (n.startsWith('package-installs-')) found.set(n, join(dir, n));
  }
  const out: LegacyPackageList[] = [];
  for (const n of [...found.keys()].sort()) {
    const file = found.get(n)!;
    out.push(parseLegacyList(await readFile(file, 'utf8'), n.slice('package-installs-'.length), file));
  }
  return out;
}

type ElementLike = Pick<ResolvedElement, 'name' | 'dir' | 'element'>;

function isElementPackages(x: ElementPackages | ElementLike): x is ElementPackages {
  return Array.isArray((x as ElementPackages).sources) && (x as ElementLike).element === undefined;
}

/**
 * DIB's package-installs squash. Given requests already read (`ElementPackages`, e.g. from
 * `collectPackageRequests`) it is pure and synchronous; given resolved elements it first
 * reads their `packages` field and package-installs files, and returns a promise.
 * Elements are taken by name, so the result does not depend on the order they are listed in.
 */
export function squashPackageInstalls(elements: readonly ElementPackages[], env: Readonly<Env>, installTypeOf: InstallTypeOf, options?: SquashOptions): Squashed;
export function squashPackageInstalls(elements: readonly ElementLike[], env: Readonly<Env>, installTypeOf: InstallTypeOf, options?: SquashOptions): Promise<Squashed>;
export function squashPackageInstalls(
  elements: readonly (ElementPackages | ElementLike)[],
  env: Readonly<Env>,
  installTypeOf: InstallTypeOf,
  options: SquashOptions = {},
): Squashed | Promise<Squashed> {
  if (elements.every(isElementPackages)) return squashRequests(elements as ElementPackages[], env, installTypeOf, options);
  return Promise.all(elements.map((e) => (isElementPackages(e) ? e : collectElementPackages(e)))).then((reqs) => squashRequests(reqs, env, installTypeOf, options));
}
