/**
 * The elements of one build: the config's (or the command line's) names, the ones dib adds
 * itself (`base`, the default layout for `vm`), and their dependencies, each resolved from the
 * package that asks for it. `dib build`, `dib plan` and `dib doctor` all go through here.
 */
import type { ResolvedConfig } from '../config/schema.js';
import { defineElement, type ResolvedElement } from '../contract/element.js';
import { isDibError } from '../errors.js';
import { expandElements, withImplicitElements, type Expansion } from './expand.js';
import { ElementResolver, describeRequiredBy, packageToInstall, type RequiredBy } from './resolve.js';

export type ClosureConfig = Pick<ResolvedConfig, 'file' | 'baseDir' | 'elements' | 'elementsPath' | 'arch' | 'skipBase'> & {
  /** where `elements` came from; without it, the config file when there is one */
  elementsFrom?: 'config' | 'command line';
};

/** Who asked for each top-level name: the user's list, or dib's own additions (as DIB does). */
export function requestOrigins(config: ClosureConfig): { names: string[]; requestedBy: (name: string) => RequiredBy } {
  const names = withImplicitElements(config.elements, { arch: config.arch, skipBase: config.skipBase });
  const user: RequiredBy = config.file && config.elementsFrom !== 'command line' ? { kind: 'config', file: config.file } : { kind: 'command line' };
  const listed = new Set(config.elements);
  return {
    names,
    requestedBy: (name) => {
      if (listed.has(name)) return user;
      if (name === 'base') return { kind: 'dib', reason: 'added by dib to every build; -n (skipBase: true) leaves it out' };
      return { kind: 'dib', reason: `added by dib for 'vm': the default partition layout on ${config.arch}` };
    },
  };
}

export interface ClosureOptions {
  warn?: (message: string) => void;
  requireOs?: boolean;
}

/** Resolve and expand; throws the first E_ELEMENT_NOT_FOUND. */
export async function resolveBuildElements(config: ClosureConfig, opts: ClosureOptions = {}): Promise<Expansion & { resolver: ElementResolver }> {
  const resolver = new ElementResolver({ baseDir: config.baseDir, elementsPath: config.elementsPath, warn: opts.warn });
  const { names, requestedBy } = requestOrigins(config);
  const expansion = await expandElements(names, { resolve: (n, by) => resolver.resolve(n, by), requestedBy, requireOs: opts.requireOs });
  return { ...expansion, resolver };
}

export interface MissingElement {
  name: string;
  requiredBy: string;
  /** the package `npm i -D` installs */
  package: string;
  message: string;
}

export interface ClosureReport {
  elements: Array<{ name: string; package?: string; version?: string; dir: string }>;
  missing: MissingElement[];
  warnings: string[];
  /** `npm i -D …` for every missing package, or undefined */
  npmLine?: string;
}

/**
 * Every element of the build and every one that cannot be found (the expansion goes on past a
 * missing name, so one run lists them all), with the warnings; for `dib doctor`.
 */
export async function checkElementClosure(config: ClosureConfig): Promise<ClosureReport> {
  const warnings: string[] = [];
  const missing: MissingElement[] = [];
  const resolver = new ElementResolver({ baseDir: config.baseDir, elementsPath: config.elementsPath, warn: (m) => warnings.push(m) });
  const { names, requestedBy } = requestOrigins(config);
  const placeholders = new Map<string, ResolvedElement>();
  const resolve = async (name: string, by?: RequiredBy): Promise<ResolvedElement> => {
    try {
      return await resolver.resolve(name, by);
    } catch (e) {
      if (!isDibError(e) || e.code !== 'E_ELEMENT_NOT_FOUND') throw e;
      if (!placeholders.has(name)) {
        missing.push({ name, requiredBy: describeRequiredBy(by), package: packageToInstall(name), message: e.message });
        placeholders.set(name, { name, element: defineElement({ name }), dir: '', kind: 'directory' });
      }
      return placeholders.get(name)!;
    }
  };
  const expansion = await expandElements(names, { resolve, requestedBy, requireOs: false });
  const found = expansion.elements.filter((e) => !placeholders.has(e.name));
  const pkgs = [...new Set(missing.map((m) => m.package))];
  return {
    elements: found.map((e) => ({ name: e.name, package: e.packageName, version: resolver.versionOf(e), dir: e.dir })),
    missing,
    warnings,
    npmLine: pkgs.length ? `npm i -D ${pkgs.join(' ')}` : undefined,
  };
}
