/**
 * Resolution of element names to elements, in this order:
 *   1. a path (`./elements/foo`, `/abs/foo`), from the config's directory;
 *   2. a directory `<dir>/<name>` on elementsPath / ELEMENTS_PATH (earlier entries win, as DIB);
 *   3. a package. A bare name `foo` may be `@dib/element-foo`, `dib-element-foo`,
 *      `@<scope>/dib-element-foo` or a package named `foo` that carries the `dib-element`
 *      keyword (so an unrelated package called `base` is never taken for an element); a name
 *      that is itself a package name (`@acme/dib-element-foo`, `my-elements`) means that package.
 *
 * Packages are found as Node finds an `import`: from the package of the element that requires
 * the name (its node_modules, then each parent directory's), then from the project (the config's
 * directory), then from the running dib's install. The nearest node_modules holding a candidate
 * wins, so a version npm nested under an element serves that element.
 *
 * One build has one element per name: the first resolution of a name (the config's and the
 * command line's names come first, then dependencies breadth-first) is the one used. The resolver
 * warns when two packages claim one short name in the same node_modules, when a package's element
 * is named differently from its package, and when one name resolves to two versions in a build.
 */
import fs from 'fs-extra';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DibError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { dibInstall } from '../util/dib-install.js';
import { ELEMENT_CONTRACT, isElement, type Element, type ResolvedElement } from '../contract/element.js';
import { isDirectoryElement, loadDirectoryElement } from './legacy.js';

const CORE_DIR = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));
const ELEMENT_KEYWORD = 'dib-element';

/** Who asked for an element: printed by "not found" and by the warnings. */
export type RequiredBy =
  | { kind: 'config'; file: string }
  | { kind: 'command line' }
  | { kind: 'dib'; reason: string }
  | { kind: 'element'; element: ResolvedElement };

export interface ResolverOptions {
  /** the project: the config file's directory (or the current directory without one) */
  baseDir: string;
  elementsPath: readonly string[];
  /** receives each warning once */
  warn?: (message: string) => void;
}

interface PackageInfo {
  name: string;
  version?: string;
  keywords: string[];
  hasEntry: boolean;
}

interface Choice {
  element: ResolvedElement;
  by: RequiredBy | undefined;
}

export function isPathLike(name: string): boolean {
  return name.startsWith('./') || name.startsWith('../') || name.startsWith('/') || name === '.';
}

const PACKAGE_NAME = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*$/i;

/** Whether `name` names one package rather than a short element name. */
function isPackageName(name: string): boolean {
  return name.startsWith('@') || name.startsWith('dib-element-');
}

/** The short element name a package is expected to hold: `@acme/dib-element-motd` → `motd`. */
export function elementNameOf(pkg: string): string {
  const m = /^(?:@dib\/element-|(?:@[^/]+\/)?dib-element-)(.+)$/.exec(pkg);
  return m ? m[1]! : pkg.replace(/^@[^/]+\//, '');
}

/** The package `npm i -D` should install for a missing name. */
export function packageToInstall(name: string): string {
  if (isPackageName(name) || !PACKAGE_NAME.test(name)) return name;
  const builtIns = builtInPackages();
  return builtIns.has(`@dib/element-${name}`) ? `@dib/element-${name}` : `dib-element-${name}`;
}

/** The element packages the running `dib` command depends on (its built-ins). */
function builtInPackages(): Set<string> {
  const install = dibInstall();
  if (!install) return new Set();
  try {
    const pj = JSON.parse(fs.readFileSync(path.join(install.dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    return new Set(Object.keys(pj.dependencies ?? {}).filter((d) => d.startsWith('@dib/element-')));
  } catch {
    return new Set();
  }
}

export function describeRequiredBy(by: RequiredBy | undefined): string {
  if (!by) return 'requested';
  switch (by.kind) {
    case 'config':
      return `required by ${path.basename(by.file)}`;
    case 'command line':
      return 'named on the command line';
    case 'dib':
      return by.reason;
    case 'element':
      return `required by element ${by.element.name}${by.element.packageName ? ` from ${packageLabel(by.element)}` : ''}`;
  }
}

function packageLabel(r: ResolvedElement & { version?: string }): string {
  return r.packageName ? `${r.packageName}${r.version ? `@${r.version}` : ''}` : r.dir;
}

export function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    out.push(d);
    if (path.dirname(d) === d) return out;
  }
}

function readPackage(dir: string): PackageInfo | undefined {
  try {
    const pj = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
    return {
      name: typeof pj.name === 'string' ? pj.name : path.basename(dir),
      version: typeof pj.version === 'string' ? pj.version : undefined,
      keywords: Array.isArray(pj.keywords) ? pj.keywords.filter((k): k is string => typeof k === 'string') : [],
      hasEntry: pj.main !== undefined || pj.exports !== undefined,
    };
  } catch {
    return undefined;
  }
}

/** The directory of the package that holds `dir` (nearest package.json). */
function packageRoot(dir: string): string | undefined {
  return ancestors(dir).find((d) => fs.existsSync(path.join(d, 'package.json')));
}

export class ElementResolver {
  /** element name → the element the build uses */
  private chosen = new Map<string, Choice>();
  /** `${name}\0${from}` → found element dir (lookups are cheap but repeated per edge) */
  private lookups = new Map<string, string | undefined>();
  /** element dir → loaded element */
  private loaded = new Map<string, ResolvedElement & { version?: string }>();
  private warned = new Set<string>();

  constructor(private readonly opts: ResolverOptions) {}

  private warn(message: string): void {
    if (this.warned.has(message)) return;
    this.warned.add(message);
    this.opts.warn?.(message);
  }

  /** Where a name required by `by` is looked up, nearest first. */
  private bases(by: RequiredBy | undefined): string[] {
    const out: string[] = [];
    if (by?.kind === 'element' && by.element.kind === 'package') out.push(by.element.dir);
    out.push(this.opts.baseDir);
    const install = dibInstall();
    if (install) out.push(install.dir);
    out.push(CORE_DIR);
    return [...new Set(out)];
  }

  /**
   * Resolve `name`, required by `by` (undefined: asked for directly, as element-info does).
   * Throws E_ELEMENT_NOT_FOUND naming who required it and the npm line that installs it.
   */
  async resolve(name: string, by?: RequiredBy): Promise<ResolvedElement> {
    const found = await this.find(name, by);
    if (!found) throw await this.notFound(name, by);
    const prior = this.chosen.get(found.name);
    if (!prior) {
      this.chosen.set(found.name, { element: found, by });
      return found;
    }
    if (prior.element.dir !== found.dir) this.warnTwoVersions(prior, { element: found, by });
    return prior.element;
  }

  /** The version of the package an element came from, when it came from one. */
  versionOf(element: ResolvedElement): string | undefined {
    return this.loaded.get(element.dir)?.version;
  }

  private warnTwoVersions(used: Choice, other: Choice): void {
    const a = used.element as ResolvedElement & { version?: string };
    const b = other.element as ResolvedElement & { version?: string };
    if (a.version !== undefined && a.version === b.version && a.packageName === b.packageName) return;
    this.warn(
      `element '${a.name}' resolves to two versions in this build: ${packageLabel(a)} (${describeRequiredBy(used.by)}) and ${packageLabel(b)} (${describeRequiredBy(other.by)}, from ${b.dir}); using ${packageLabel(a)}` +
        ` — install one version for both (npm i -D ${b.packageName ?? a.name}@${b.version ?? 'latest'}) or leave '${a.name}' out of the list`,
    );
  }

  private async find(name: string, by: RequiredBy | undefined): Promise<(ResolvedElement & { version?: string }) | undefined> {
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
    for (const base of this.bases(by)) {
      const key = `${name}\0${base}`;
      let dir = this.lookups.get(key);
      if (!this.lookups.has(key)) {
        dir = this.lookupPackage(name, base);
        this.lookups.set(key, dir);
      }
      if (dir) return this.fromPackage(dir, name);
    }
    return undefined;
  }

  /**
   * The package directory `name` means, seen from `base`: the package itself when its own name
   * matches (Node's self-reference, so an element package finds itself while developed), else
   * the nearest node_modules holding a candidate. Warns when one node_modules holds two.
   */
  private lookupPackage(name: string, base: string): string | undefined {
    if (!PACKAGE_NAME.test(name)) return undefined;
    const bare = !isPackageName(name);
    const self = packageRoot(base);
    const own = self ? readPackage(self) : undefined;
    if (self && own?.hasEntry && this.selfMatches(own, name, bare)) return fs.realpathSync(self);
    for (const d of ancestors(base)) {
      const nm = path.join(d, 'node_modules');
      if (!fs.existsSync(nm)) continue;
      const claims = this.candidatesIn(nm, name, bare);
      if (claims.length === 0) continue;
      if (claims.length > 1) {
        this.warn(
          `two packages claim element '${name}' in ${nm}: ${claims.map((c) => c.pkg).join(', ')}; using ${claims[0]!.pkg} — name the package in the element list ('${claims[1]!.pkg}') to use another, or uninstall one`,
        );
      }
      return fs.realpathSync(claims[0]!.dir);
    }
    return undefined;
  }

  /** Node's self-reference: an element package finds itself (while it is developed). */
  private selfMatches(own: PackageInfo, name: string, bare: boolean): boolean {
    if (!bare) return own.name === name;
    if (own.name.startsWith('@dib/element-') || /^(@[^/]+\/)?dib-element-/.test(own.name)) return elementNameOf(own.name) === name;
    return own.name === name && own.keywords.includes(ELEMENT_KEYWORD);
  }

  /** Packages in one node_modules that could be element `name`, in order of precedence. */
  private candidatesIn(nm: string, name: string, bare: boolean): Array<{ pkg: string; dir: string }> {
    const has = (pkg: string) => fs.existsSync(path.join(nm, pkg, 'package.json'));
    if (!bare) return has(name) ? [{ pkg: name, dir: path.join(nm, name) }] : [];
    const out: Array<{ pkg: string; dir: string }> = [];
    for (const pkg of [`@dib/element-${name}`, `dib-element-${name}`]) if (has(pkg)) out.push({ pkg, dir: path.join(nm, pkg) });
    const scopes = fs
      .readdirSync(nm)
      .filter((s) => s.startsWith('@') && s !== '@dib')
      .sort();
    for (const scope of scopes) {
      const pkg = `${scope}/dib-element-${name}`;
      if (has(pkg)) out.push({ pkg, dir: path.join(nm, pkg) });
    }
    if (has(name) && readPackage(path.join(nm, name))?.keywords.includes(ELEMENT_KEYWORD)) out.push({ pkg: name, dir: path.join(nm, name) });
    return out;
  }

  private async notFound(name: string, by: RequiredBy | undefined): Promise<DibError> {
    const who = by ? ` (${describeRequiredBy(by)})` : '';
    if (isPathLike(name)) {
      return new DibError('E_ELEMENT_NOT_FOUND', `Element '${name}'${who} not found: ${path.resolve(this.opts.baseDir, name)} does not exist`, {
        hint: 'fix the path (relative paths start from the config file’s directory)',
      });
    }
    const known = await this.knownNames();
    const pkg = packageToInstall(name);
    const where = this.opts.elementsPath.length ? `elementsPath (${this.opts.elementsPath.join(':')}), then ` : '';
    const searched = `searched ${where}node_modules from ${this.bases(by).join(', ')}`;
    let hint = `install it: npm i -D ${pkg}`;
    if (by?.kind === 'element' && by.element.packageName) hint += ` (and ${by.element.packageName} should list ${pkg} in its package.json dependencies)`;
    else if (!dibInstall() && pkg.startsWith('@dib/element-') === false && !isPackageName(name)) hint += `, or npm i -D dib for dib's built-in elements`;
    return new DibError('E_ELEMENT_NOT_FOUND', `Element '${name}'${who} not found${didYouMean(name, known)}`, { hint, details: [searched] });
  }

  private async fromDirectory(dir: string, name: string): Promise<ResolvedElement & { version?: string }> {
    const real = await fs.realpath(dir);
    const pj = readPackage(real);
    if (pj?.hasEntry) return this.fromPackage(real, pj.name, false);
    if (!(await isDirectoryElement(real))) {
      throw new DibError('E_ELEMENT_INVALID', `'${real}' is neither an element package nor a DIB element directory`, {
        hint: 'a DIB element has element-deps or <phase>.d/ directories; a package element has a package.json with main/exports',
      });
    }
    return { name, element: await loadDirectoryElement(real, name), dir: real, kind: 'directory' };
  }

  /** `byName`: found by an element name (not a path), so its package's name should match it */
  private async fromPackage(dir: string, requestedAs: string, byName = true): Promise<ResolvedElement & { version?: string }> {
    const hit = this.loaded.get(dir);
    if (hit) return hit;
    const info = readPackage(dir);
    const pkg = info?.name ?? requestedAs;
    let entry: string;
    try {
      entry = createRequire(path.join(dir, 'noop.js')).resolve(dir);
    } catch {
      entry = path.join(dir, 'index.js');
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
    const expected = elementNameOf(pkg);
    if (byName && el.name !== expected) {
      this.warn(`package ${pkg} holds element '${el.name}', not '${expected}' as its name says; the build knows it as '${el.name}' — rename the element or the package`);
    }
    const resolved = { name: el.name, element: el, packageName: pkg, dir, kind: 'package' as const, version: info?.version };
    this.loaded.set(dir, resolved);
    return resolved;
  }

  /** Names that could be meant (built-ins, elementsPath directories, dib-element-* packages). */
  async knownNames(): Promise<string[]> {
    const names = new Set<string>();
    for (const p of this.opts.elementsPath) {
      for (const e of await fs.readdir(p).catch(() => [] as string[])) names.add(e);
    }
    for (const base of this.bases(undefined)) {
      for (const d of ancestors(base)) {
        const nm = path.join(d, 'node_modules');
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
      hint: el.contract > ELEMENT_CONTRACT ? 'upgrade dib (npm i -D dib@latest)' : `upgrade the element (npm i -D ${where}@latest)`,
    });
  }
}
