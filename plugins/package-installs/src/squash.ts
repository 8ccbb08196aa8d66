/**
 * DIB's package-installs squash (docs/dib-behaviour.md#package-installs), as a pure function: every element's
 * requests, filtered for this build, into the `/tmp/package-installs.json` structure.
 */
import { DibError } from '@dib/core';
import type { Env } from '@dib/core';

/** `[package, element]`, as DIB writes it. */
export type PackageEntry = [string, string];

/** One phase of the squashed file; keys appear in the order DIB's defaultdict creates them. */
export interface SquashedPhase {
  install?: PackageEntry[];
  uninstall?: PackageEntry[];
}

/** The squashed file: phase directory name (`install.d`, …) → lists. */
export type Squashed = Record<string, SquashedPhase>;

/** Where one element's requests came from: the `packages` field or a file. */
export interface PackageSource {
  /** `packages field` or the file path, named in errors */
  source: string;
  /** the parsed content (validated while squashing) */
  packages: unknown;
}

/** Input of the squash for one element. */
export interface ElementPackages {
  name: string;
  sources: PackageSource[];
}

export type InstallTypeOf = (element: string) => string;

export interface SquashOptions {
  /** debug lines (DIB's `... skipping due to arch match` etc.) */
  debug?: (line: string) => void;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Python's truthiness, for DIB's `if not params`. */
function falsy(x: unknown): boolean {
  return x === null || x === undefined || x === false || x === 0 || x === '' || (Array.isArray(x) && x.length === 0) || (isRecord(x) && Object.keys(x).length === 0);
}

/** Python's `str()` of a YAML/JSON scalar, for `dib_python_version`. */
function pyStr(x: unknown): string {
  if (x === true) return 'True';
  if (x === false) return 'False';
  if (x === null) return 'None';
  return String(x);
}

const WHEN_RE = /^([\p{L}\p{N}_]+)(\s*)(=|!=)(\s*)(.*)/u;

/**
 * Evaluate a `when` (one statement or a list, all must hold). Throws naming the element and
 * package when a variable is unset or a statement is malformed.
 */
export function evaluateWhen(when: unknown, env: Readonly<Env>, where: string): boolean {
  if (when === undefined || when === null) return true;
  const statements = Array.isArray(when) ? when : [when];
  let ok = true;
  for (const s of statements) {
    const m = typeof s === 'string' ? WHEN_RE.exec(s) : null;
    if (!m) {
      throw new DibError('E_PACKAGE_INSTALLS', `${where}: malformed when: ${JSON.stringify(s)}`, { hint: 'write `VAR=value` or `VAR!=value` (or a list of them)' });
    }
    const [, name = '', , op = '', , value = ''] = m;
    const actual = env[name];
    if (actual === undefined) {
      throw new DibError('E_PACKAGE_INSTALLS', `${where}: when: the variable ${name} is not set`, {
        hint: `set ${name} in the build environment (config env) or in an element's environment`,
      });
    }
    const holds = op === '=' ? value === actual : value !== actual;
    if (!holds) ok = false;
  }
  return ok;
}

function archList(value: unknown, key: string, where: string): string[] {
  if (typeof value !== 'string') {
    throw new DibError('E_PACKAGE_INSTALLS', `${where}: ${key} must be a comma-separated string`, { hint: `for example ${key}: amd64,arm64` });
  }
  // DIB does not trim the items: "ppc64, ppc64le" never matches ppc64le
  return value.split(',');
}

function validForArch(param: Record<string, unknown>, env: Readonly<Env>, where: string): boolean {
  const arch = param.arch ?? null;
  const notArch = param['not-arch'] ?? null;
  if (arch === null && notArch === null) return true;
  if (!falsy(arch) && !falsy(notArch)) {
    throw new DibError('E_PACKAGE_INSTALLS', `${where}: arch and not-arch given`, { hint: 'use either arch or not-arch' });
  }
  const current = env.ARCH;
  if (current === undefined) {
    throw new DibError('E_PACKAGE_INSTALLS', `${where}: arch filter used but ARCH is not set`, { hint: 'the core sets ARCH; set config arch' });
  }
  if (!falsy(arch)) return archList(arch, 'arch', where).includes(current);
  return !archList(notArch, 'not-arch', where).includes(current);
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Squash the requests of `elements`, exactly as DIB's package-installs-squash, with one
 * difference: elements are taken by name (sources in their given order), so the result does
 * not depend on the order they were listed in. `env` supplies ARCH, DIB_PYTHON_VERSION and
 * the variables of `when`; `installTypeOf` the install type of each element.
 */
export function squashRequests(
  elements: readonly ElementPackages[],
  env: Readonly<Env>,
  installTypeOf: InstallTypeOf,
  options: SquashOptions = {},
): Squashed {
  const debug = options.debug ?? (() => {});
  const data = new Map<string, Map<'install' | 'uninstall', PackageEntry[]>>();
  const phaseOf = (phase: string) => {
    let p = data.get(phase);
    if (!p) data.set(phase, (p = new Map()));
    return p;
  };
  const list = (phase: string, which: 'install' | 'uninstall') => {
    const p = phaseOf(phase);
    let l = p.get(which);
    if (!l) p.set(which, (l = []));
    return l;
  };

  const sorted = [...elements].sort((a, b) => compare(a.name, b.name));
  for (const el of sorted) {
    for (const src of el.sources) {
      if (!isRecord(src.packages)) {
        throw new DibError('E_PACKAGE_INSTALLS', `element ${el.name}: ${src.source} is not a mapping of package names`, {
          hint: 'package-installs is a map: package → null | {phase, uninstall, …} | [{…}, …]',
        });
      }
      for (const [pkg, raw] of Object.entries(src.packages)) {
        const where = `element ${el.name}, ${src.source}, package ${pkg}`;
        const params: unknown[] = falsy(raw) ? [{}] : Array.isArray(raw) ? raw : [raw];
        for (const param of params) {
          if (!isRecord(param)) {
            throw new DibError('E_PACKAGE_INSTALLS', `${where}: parameters must be a mapping, got ${JSON.stringify(param)}`, {
              hint: 'give null, {phase: …, uninstall: …, …} or a list of such mappings',
            });
          }
          debug(`Considering ${el.name}/${pkg} param:${JSON.stringify(param)}`);
          const phase = param.phase ?? 'install.d';
          if (typeof phase !== 'string') {
            throw new DibError('E_PACKAGE_INSTALLS', `${where}: phase must be a string`, { hint: 'pre-install.d, install.d or post-install.d' });
          }
          let installs: ('install' | 'uninstall')[] = ['install'];
          const hasUninstall = 'uninstall' in param;
          const hasBuildOnly = 'build-only' in param;
          if (hasUninstall || hasBuildOnly) {
            // An uninstall is dropped when another request installs the package for good.
            const inInstall = list(phase, 'install').some((x) => x[0] === pkg);
            const notInUninstall = list(phase, 'uninstall').every((x) => x[0] !== pkg);
            if (inInstall && notInUninstall) {
              if (!hasBuildOnly) continue;
            } else {
              if (hasUninstall) installs = ['uninstall'];
              if (hasBuildOnly) installs = ['install', 'uninstall'];
            }
          } else {
            // A plain install cancels uninstalls of the package requested so far.
            const un = list(phase, 'uninstall');
            phaseOf(phase).set(
              'uninstall',
              un.filter((x) => x[0] !== pkg),
            );
          }

          const installtype = param.installtype ?? null;
          if (installtype !== null && installtype !== installTypeOf(el.name)) {
            debug('... skipping due to installtype');
            continue;
          }
          if (!validForArch(param, env, where)) {
            debug('... skipping due to arch match');
            continue;
          }
          const py = 'dib_python_version' in param ? pyStr(param.dib_python_version) : '';
          if (py !== '' && py !== (env.DIB_PYTHON_VERSION ?? '')) {
            debug('... skipping due to python version');
            continue;
          }
          if (!evaluateWhen(param.when, env, where)) {
            debug('... skipped due to when: failures');
            continue;
          }
          for (const which of installs) {
            debug(`... installing for '${which}'`);
            list(phase, which).push([pkg, el.name]);
          }
        }
      }
    }
  }

  const out: Squashed = {};
  for (const [phase, lists] of data) {
    const p: SquashedPhase = {};
    for (const [which, entries] of lists) p[which] = entries;
    out[phase] = p;
  }
  return out;
}

/**
 * The squashed structure as DIB writes it: `json.dump(indent=1, separators=(',', ': '))`,
 * non-ASCII escaped (`ensure_ascii`), no trailing newline.
 */
export function formatSquashed(squashed: Squashed): string {
  return JSON.stringify(squashed, null, 1).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
