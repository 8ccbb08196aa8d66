/**
 * Resolution of element names to elements, in this order:
 *   1. a path (`./elements/foo`, `/abs/foo`);
 *   2. a directory `<dir>/<name>` on elementsPath / ELEMENTS_PATH (earlier entries win, as DIB);
 *   3. an exact package name; 4. `@dib/element-<name>`; 5. `dib-element-<name>`;
 *   6. `@<scope>/dib-element-<name>`.
 * Packages are resolved from the config file's directory, then from dib's own install.
 */
import fs from 'fs-extra';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DibError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { ELEMENT_CONTRACT, isElement, type Element, type ResolvedElement } from '../contract/element.js';
import { isDirectoryElement, loadDirectoryElement } from './legacy.js';

const CORE_DIR = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface ResolverOptions {
  baseDir: string;
  elementsPath: readonly string[];
}

function isPathLike(name: string): boolean {
  return name.startsWith('./') || name.startsWith('../') || name.startsWith('/') || name === '.';
}

function packageCandidates(name: string): string[] {
  const out: string[] = [];
  if (/^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i.test(name)) out.push(name);
  if (!name.startsWith('@')) out.push(`@dib/element-${name}`, `dib-element-${name}`);
  return out;
}

async function nodeModulesDirs(from: string): Promise<string[]> {
  const dirs: string[] = [];
  let d = path.resolve(from);
  for (;;) {
    const nm = path.join(d, 'node_modules');
    if (await fs.pathExists(nm)) dirs.push(nm);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  return dirs;
}

async function readJson(file: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export class ElementResolver {
  private cache = new Map<string, ResolvedElement>();
  constructor(private readonly opts: ResolverOptions) {}

  private bases(): string[] {
    return [this.opts.baseDir, CORE_DIR];
  }

  /** Resolve `name`; throws E_ELEMENT_NOT_FOUND with a suggestion. */
  async resolve(name: string): Promise<ResolvedElement> {
    const hit = this.cache.get(name);
    if (hit) return hit;
    const found = await this.find(name);
    if (!found) {
      const known = await this.knownNames();
      const where = this.opts.elementsPath.length ? `elementsPath (${this.opts.elementsPath.join(':')}) and ` : '';
      throw new DibError('E_ELEMENT_NOT_FOUND', `Element '${name}' not found${didYouMean(name, known)}`, {
        hint: `searched ${where}packages ${packageCandidates(name).join(', ')} from ${this.opts.baseDir}; install it with npm next to the config or add its directory to elementsPath`,
      });
    }
    this.cache.set(name, found);
    if (found.name !== name) this.cache.set(found.name, found);
    return found;
  }

  private async find(name: string): Promise<ResolvedElement | undefined> {
    if (isPathLike(name)) {
      const dir = path.resolve(this.opts.baseDir, name);
      if (!(await fs.pathExists(dir))) return undefined;
      return this.fromDirectory(dir, path.basename(dir));
    }
    for (const p of this.opts.elementsPath) {
      if (!(await fs.pathExists(p)) || !(await fs.stat(p)).isDirectory()) {
        throw new DibError('E_CONFIG_VALUE', `elementsPath entry '${p}' is not a directory`, { hint: 'fix elementsPath in the config or ELEMENTS_PATH' });
      }
      const dir = path.join(p, name);
      if ((await fs.pathExists(dir)) && (await fs.stat(dir)).isDirectory()) return this.fromDirectory(dir, name);
    }
    for (const pkg of packageCandidates(name)) {
      const dir = await this.packageDir(pkg);
      if (dir) return this.fromPackage(dir, pkg);
    }
    if (!name.startsWith('@')) {
      for (const base of this.bases()) {
        for (const nm of await nodeModulesDirs(base)) {
          for (const scope of (await fs.readdir(nm).catch(() => [] as string[])).filter((s) => s.startsWith('@'))) {
            const dir = path.join(nm, scope, `dib-element-${name}`);
            if (await fs.pathExists(path.join(dir, 'package.json'))) return this.fromPackage(dir, `${scope}/dib-element-${name}`);
          }
        }
      }
    }
    return undefined;
  }

  private async packageDir(pkg: string): Promise<string | undefined> {
    for (const base of this.bases()) {
      try {
        const req = createRequire(path.join(base, 'noop.js'));
        return path.dirname(req.resolve(`${pkg}/package.json`));
      } catch {
        /* next base */
      }
    }
    return undefined;
  }

  private async fromDirectory(dir: string, name: string): Promise<ResolvedElement> {
    const real = await fs.realpath(dir);
    if (await fs.pathExists(path.join(real, 'package.json'))) {
      const pj = await readJson(path.join(real, 'package.json'));
      if (pj && (pj.main || pj.exports)) return this.fromPackage(real, String(pj.name ?? name));
    }
    if (!(await isDirectoryElement(real))) {
      throw new DibError('E_ELEMENT_INVALID', `'${real}' is neither an element package nor a DIB element directory`, {
        hint: 'a DIB element has element-deps or <phase>.d/ directories; a package element has a package.json with main/exports',
      });
    }
    return { name, element: await loadDirectoryElement(real, name), dir: real, kind: 'directory' };
  }

  private async fromPackage(dir: string, pkg: string): Promise<ResolvedElement> {
    const pj = await readJson(path.join(dir, 'package.json'));
    let entry: string;
    try {
      entry = createRequire(path.join(dir, 'noop.js')).resolve(dir);
    } catch {
      const main = typeof pj?.main === 'string' ? pj.main : 'index.js';
      entry = path.join(dir, main);
    }
    if (!(await fs.pathExists(entry))) {
      throw new DibError('E_ELEMENT_INVALID', `element package ${pkg} has no entry file ${entry}`, { hint: `build it (npm run build) or reinstall ${pkg}` });
    }
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(entry).href)) as { default?: unknown };
    } catch (e) {
      throw new DibError('E_ELEMENT_INVALID', `element package ${pkg} failed to load: ${(e as Error).message.split('\n')[0]}`, {
        hint: `check ${entry}`,
        cause: e,
      });
    }
    const el = (mod.default ?? mod) as unknown;
    if (!isElement(el)) {
      throw new DibError('E_ELEMENT_INVALID', `package ${pkg} does not export an element`, {
        hint: "its default export must be `defineElement({ name, … })` from '@dib/core'",
      });
    }
    assertContract(el, pkg);
    return { name: el.name, element: el, packageName: pkg, dir, kind: 'package' };
  }

  /** Names that could be meant (built-ins, elementsPath directories, dib-element-* packages). */
  async knownNames(): Promise<string[]> {
    const names = new Set<string>();
    for (const p of this.opts.elementsPath) {
      for (const e of await fs.readdir(p).catch(() => [] as string[])) names.add(e);
    }
    for (const base of this.bases()) {
      for (const nm of await nodeModulesDirs(base)) {
        for (const e of await fs.readdir(nm).catch(() => [] as string[])) {
          if (e.startsWith('dib-element-')) names.add(e.slice('dib-element-'.length));
          if (e.startsWith('@')) {
            for (const s of await fs.readdir(path.join(nm, e)).catch(() => [] as string[])) {
              if (s.startsWith('element-') && e === '@dib') names.add(s.slice('element-'.length));
              if (s.startsWith('dib-element-')) names.add(s.slice('dib-element-'.length));
            }
          }
        }
      }
    }
    return [...names].sort();
  }
}

export function assertContract(el: Element, where: string): void {
  if (el.contract !== ELEMENT_CONTRACT) {
    throw new DibError('E_ELEMENT_CONTRACT', `element '${el.name}' (${where}) was built for element contract ${el.contract}; this dib implements contract ${ELEMENT_CONTRACT}`, {
      hint: el.contract > ELEMENT_CONTRACT ? 'upgrade dib (npm install @dib/core@latest)' : `upgrade the element (npm install ${where}@latest)`,
    });
  }
}
