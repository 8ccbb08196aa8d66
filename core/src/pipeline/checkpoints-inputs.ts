/**
 * What each phase checkpoint's key is made from (the names are described in checkpoints-key):
 *
 * - root: dib itself; the element list; every element's content (an npm element by name,
 *   version and integrity — or, for a linked or workspace package, which has no integrity, a
 *   hash of its files — a DIB element directory by every file outside its phase directories:
 *   element-deps, environment.d, package-installs.yaml, bin/, static/…, since every script of
 *   every phase sees them); the build variables; the config keys that reach the taps; and the
 *   root phase's taps with their scripts. npm elements count in full from the first checkpoint:
 *   an element's code can shape every phase through the hooks other elements own (the packages
 *   debootstrap folds into the root).
 * - post-install, post-root: the taps of their phases and, for DIB element directories, the
 *   scripts of those phases (`install.d/` …).
 * - the image (block-device to cleanup, then the outputs): the same for its phases, plus the
 *   config keys that only the image writing reads and the values that name this build's
 *   outputs (IMAGE_NAME, DIB_ARGS), which the manifests record in the image.
 *
 * Each key also holds the previous key, so a change invalidates its phase and every later one.
 * An element's `cacheInputs` (a DIB element directory: its `cache-inputs` file, lines
 * `file PATH`, `env NAME` or `none`) are keyed from the first phase the element taps.
 *
 * Left out of every key, because they say where and how this build runs, not what it makes:
 * the work paths, the cache dir, the image name, the elements' paths (their content is keyed),
 * the command line, logging and cache switches. Where another variable's value holds one of
 * them (`DIB_MANIFEST_SAVE_DIR=<IMAGE_NAME>.d/`), it is keyed with a placeholder in its place.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { ResolvedConfig } from '../config/schema.js';
import { settingOf } from '../config/settings.js';
import type { CacheInputs, ResolvedElement } from '../contract/element.js';
import type { TapInfo } from '../contract/build.js';
import { PHASE_NAMES, type PhaseName } from '../contract/phases.js';
import type { Env, Logger } from '../vocabulary.js';
import { CHECKPOINT_GROUPS, IMAGE_PHASES, canonical, valueDigest, type Inputs } from './checkpoints-key.js';

/** Build variables that name this build's paths, name and command line: never keyed. */
export const PER_BUILD_VARIABLES = [
  'TMP_BUILD_DIR',
  'TMP_HOOKS_PATH',
  'TMP_MOUNT_PATH',
  'TMP_IMAGE_DIR',
  'TARGET_ROOT',
  'IMAGE_NAME',
  'DIB_ARGS',
  'DIB_ENV',
  'DIB_IMAGE_CACHE',
  'ELEMENTS_PATH',
  'IMAGE_ELEMENT_YAML',
] as const;

/** Build variables that change how dib logs or uses its cache, not what it makes. */
export const UNKEYED_VARIABLES = ['DIB_DEBUG_TRACE', 'DIB_QUIET', 'DIB_NO_TIMESTAMP', 'DIB_OFFLINE', 'DIB_NO_CACHE', 'DIB_DEBOOTSTRAP_CACHE_MAX_AGE'] as const;

/** Variables keyed only in the image's key: the manifests write them into the image at cleanup. */
const IMAGE_VARIABLES = ['IMAGE_NAME', 'DIB_ARGS', 'DIB_ENV'] as const;

/** Config fields that are no settings (where the config came from). */
const CONFIG_BOOKKEEPING = new Set(['file', 'baseDir', 'elementsFrom']);

export interface GroupInputs {
  /** the checkpoint's name, or `image` for the phases after the last one and the outputs */
  name: string;
  phases: readonly PhaseName[];
  inputs: Inputs;
  /** an element that cannot be keyed taps one of these phases: no checkpoint from here on */
  optOut?: string;
}

export interface InputsBuild {
  config: ResolvedConfig;
  elements: readonly ResolvedElement[];
  env: Readonly<Env>;
  log: Logger;
  taps(): TapInfo[];
  installTypeOf(element: string): string;
}

const CORE_DIR = path.resolve(fileURLToPath(new URL('../..', import.meta.url)));

// --- content of packages and directories ---------------------------------------------------

const SKIP_DIRS = new Set(['node_modules', '.git', 'tests', '__pycache__']);

/** sha256 over every file below `dir` (path, executable bit, content; link targets). */
async function treeDigest(dir: string, skip: (rel: string, isDir: boolean) => boolean = () => false): Promise<string> {
  const h = createHash('sha256');
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(dir, rel);
    const names = (await fs.readdir(abs).catch(() => [] as string[])).sort();
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const p = path.join(dir, r);
      const st = await fs.lstat(p).catch(() => undefined);
      if (!st) continue;
      if (st.isDirectory()) {
        if (SKIP_DIRS.has(n) || skip(r, true)) continue;
        h.update(`d ${r}\0`);
        await walk(r);
      } else if (skip(r, false)) continue;
      else if (st.isSymbolicLink()) {
        const target = await fs.readlink(p);
        // a link to a file counts with the file's content (DIB copies links as links)
        const followed = await fs.readFile(p).catch(() => undefined);
        h.update(`l ${r} ${target} ${followed ? createHash('sha256').update(followed).digest('hex') : '-'}\0`);
      } else if (st.isFile()) {
        h.update(`f ${r} ${st.mode & 0o111 ? 'x' : '-'} ${createHash('sha256').update(await fs.readFile(p)).digest('hex')}\0`);
      }
    }
  };
  await walk('');
  return h.digest('hex');
}

const packageDigests = new Map<string, Promise<string>>();

/** `name@version` with the integrity npm recorded for it, or a hash of its published files. */
export function packageIdentity(dir: string): Promise<string> {
  let p = packageDigests.get(dir);
  if (!p) {
    p = (async () => {
      const pj = JSON.parse(await fs.readFile(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string; files?: string[]; main?: string };
      const id = `${pj.name ?? path.basename(dir)}@${pj.version ?? '?'}`;
      const integrity = await lockfileIntegrity(dir);
      if (integrity) return `${id} ${integrity}`;
      // a link or a workspace (or a copy): what it would publish, byte for byte
      const files = Array.isArray(pj.files) && pj.files.every((f) => !/[*?[]/.test(f)) ? new Set(pj.files.map((f) => f.replace(/^\.\//, '').replace(/\/$/, ''))) : undefined;
      const top = (rel: string) => rel.split('/')[0]!;
      // what never runs: source maps, type declarations, build info, and the TypeScript
      // sources of a package that runs its compiled JavaScript
      const runsJs = /\.[cm]?js$/.test(pj.main ?? 'index.js');
      const digest = await treeDigest(dir, (rel, isDir) => {
        if (!isDir && (/\.(map|tsbuildinfo)$/.test(rel) || /\.d\.[cm]?ts$/.test(rel) || (runsJs && /\.[cm]?ts$/.test(rel)))) return true;
        if (!files || rel === 'package.json') return false;
        return !files.has(top(rel)) && !(isDir && [...files].some((f) => f.startsWith(`${rel}/`)));
      });
      return `${id} files:${digest.slice(0, 32)}`;
    })();
    packageDigests.set(dir, p);
  }
  return p;
}

/** The integrity of the package at `dir` in the lockfile of the node_modules it sits in. */
async function lockfileIntegrity(dir: string): Promise<string | undefined> {
  const at = dir.lastIndexOf(`${path.sep}node_modules${path.sep}`);
  if (at < 0) return undefined;
  const root = dir.slice(0, at);
  const rel = dir.slice(at + 1).split(path.sep).join('/');
  for (const lock of [path.join(root, 'node_modules', '.package-lock.json'), path.join(root, 'package-lock.json')]) {
    const text = await fs.readFile(lock, 'utf8').catch(() => undefined);
    if (!text) continue;
    try {
      const entry = (JSON.parse(text) as { packages?: Record<string, { integrity?: string; link?: boolean }> }).packages?.[rel];
      if (entry?.integrity && !entry.link) return entry.integrity;
    } catch {
      /* an unreadable lockfile: hash the files instead */
    }
  }
  return undefined;
}

/** A DIB element directory: its declarations (everything but phase dirs) and each phase dir. */
export async function directoryElementDigests(dir: string): Promise<{ declarations: string; phases: Partial<Record<PhaseName, string>> }> {
  const phaseDirs = new Set(PHASE_NAMES.map((p) => `${p}.d`));
  const declarations = await treeDigest(dir, (rel, isDir) => (isDir && phaseDirs.has(rel)) || rel.endsWith('.pyc'));
  const phases: Partial<Record<PhaseName, string>> = {};
  for (const p of PHASE_NAMES) {
    const st = await fs.stat(path.join(dir, `${p}.d`)).catch(() => undefined);
    if (st?.isDirectory()) phases[p] = await treeDigest(path.join(dir, `${p}.d`), (rel) => rel.split('/').some((s) => s.startsWith('.')));
  }
  return { declarations, phases };
}

// --- what the elements declare ---------------------------------------------------------------

/** A DIB element directory's `cache-inputs` file: `file PATH`, `env NAME`, `none`. */
export async function directoryCacheInputs(dir: string): Promise<false | CacheInputs | undefined> {
  const text = await fs.readFile(path.join(dir, 'cache-inputs'), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  const files: string[] = [];
  const env: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    if (!line) continue;
    const [kind, ...rest] = line.split(/\s+/);
    const arg = rest.join(' ');
    if (kind === 'none') return false;
    if (kind === 'file' && arg) files.push(arg);
    else if (kind === 'env' && arg) env.push(arg);
    else throw new Error(`${path.join(dir, 'cache-inputs')}: '${line}' is not 'file PATH', 'env NAME' or 'none'`);
  }
  return { files, env };
}

async function fileDigest(p: string): Promise<string> {
  const st = await fs.stat(p).catch(() => undefined);
  if (!st) return 'missing';
  if (st.isDirectory()) return `dir:${(await treeDigest(p)).slice(0, 20)}`;
  return createHash('sha256').update(await fs.readFile(p)).digest('hex').slice(0, 20);
}

async function declaredInputs(name: string, ci: CacheInputs): Promise<Inputs> {
  const out: Inputs = {};
  for (const f of ci.files ?? []) out[`input ${name} file ${f}`] = await fileDigest(f);
  for (const v of ci.env ?? []) out[`input ${name} env ${v}`] = process.env[v] === undefined ? 'unset' : valueDigest(process.env[v]);
  for (const [k, v] of Object.entries(ci.values ?? {})) out[`input ${name} ${k}`] = valueDigest(v);
  return out;
}

// --- the build environment and the config ----------------------------------------------------

/** The value with this build's paths and name replaced by placeholders. */
function placeholders(env: Readonly<Env>, config: ResolvedConfig): (v: string) => string {
  const subs = [
    ['TMP_BUILD_DIR', env.TMP_BUILD_DIR],
    ['TMP_IMAGE_DIR', env.TMP_IMAGE_DIR],
    ['IMAGE_NAME', env.IMAGE_NAME ?? config.name],
    ['DIB_IMAGE_CACHE', config.cacheDir],
    ['WORK_DIR', config.workDir],
  ]
    .filter((x): x is [string, string] => !!x[1] && x[1].length > 1)
    .sort((a, b) => b[1].length - a[1].length);
  return (v) => subs.reduce((s, [name, value]) => s.split(value).join(`<${name}>`), v);
}

/** The build variables as keyed: per-build ones left out, the others with placeholders. */
export function keyedEnv(env: Readonly<Env>, config: ResolvedConfig): Inputs {
  const skip = new Set<string>([...PER_BUILD_VARIABLES, ...UNKEYED_VARIABLES]);
  const sub = placeholders(env, config);
  const out: Inputs = {};
  for (const k of Object.keys(env).sort()) {
    if (skip.has(k) || /^IMAGE_ELEMENT.*_FILE$/.test(k)) continue;
    out[`env ${k}`] = valueDigest(sub(env[k]!));
  }
  return out;
}

/** Config keys by where they count: every checkpoint, the image only, or nowhere. */
export function keyedConfig(config: ResolvedConfig): { build: Inputs; image: Inputs } {
  const build: Inputs = {};
  const image: Inputs = {};
  for (const [k, v] of Object.entries(config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (CONFIG_BOOKKEEPING.has(k)) continue;
    const where = settingOf(k)?.cacheKey ?? 'build';
    if (where === 'none' || v === undefined) continue;
    (where === 'image' ? image : build)[`config ${k}`] = valueDigest(canonical(v));
  }
  return { build, image };
}

// --- all together ------------------------------------------------------------------------------

/** The taps of a phase as they will run (install-type alternatives resolved). */
function phaseTaps(build: InputsBuild, taps: readonly TapInfo[], phase: PhaseName): string {
  return canonical(
    taps
      .filter((t) => t.phase === phase && (t.installType === undefined || t.installType === build.installTypeOf(t.element)))
      .map((t) => [t.stage, t.name, t.element, t.kind, t.installType ?? '']),
  );
}

/**
 * The inputs of each checkpoint, in order, and of the image (last). Computed once per build,
 * before the first phase.
 */
export async function checkpointInputs(build: InputsBuild): Promise<GroupInputs[]> {
  const taps = build.taps();
  const groups: GroupInputs[] = [...CHECKPOINT_GROUPS.map((g) => ({ name: g.name, phases: g.phases, inputs: {} as Inputs })), { name: 'image', phases: IMAGE_PHASES, inputs: {} as Inputs }];
  const groupOf = (phase: PhaseName) => groups.findIndex((g) => g.phases.includes(phase));
  const first = groups[0]!.inputs;
  const offline = build.config.offline || !!build.env.DIB_OFFLINE;

  first.dib = await packageIdentity(CORE_DIR);
  first.elements = build.elements.map((e) => e.name).join(' ');
  for (const r of build.elements) {
    // the first group an element's taps run in: its declared inputs count from there
    const tapped = taps.filter((t) => t.element === r.name).map((t) => groupOf(t.phase));
    let at = tapped.length ? Math.min(...tapped) : 0;
    if (r.kind === 'package') first[`element ${r.name}`] = await packageIdentity(r.dir);
    else {
      const d = await directoryElementDigests(r.dir);
      first[`element ${r.name}`] = d.declarations.slice(0, 32);
      for (const [phase, digest] of Object.entries(d.phases)) groups[groupOf(phase as PhaseName)]!.inputs[`element ${r.name} ${phase}.d`] = digest.slice(0, 32);
      at = Math.min(at, ...Object.keys(d.phases).map((p) => groupOf(p as PhaseName)));
    }
    let declared: false | CacheInputs | undefined;
    try {
      const ci = r.kind === 'directory' ? await directoryCacheInputs(r.dir) : r.element.cacheInputs;
      declared = typeof ci === 'function' ? await ci({ env: build.env, offline }) : ci;
    } catch (e) {
      build.log.warn(`element ${r.name}: its cache inputs could not be read (${(e as Error).message.split('\n')[0]}); no checkpoint is used from the ${groups[at]!.phases[0]} phase on`);
      declared = false;
    }
    if (declared === false) groups[at]!.optOut ??= r.name;
    else if (declared) Object.assign(groups[at]!.inputs, await declaredInputs(r.name, declared));
  }
  Object.assign(first, keyedEnv(build.env, build.config));
  const config = keyedConfig(build.config);
  Object.assign(first, config.build);
  for (const g of groups) for (const p of g.phases) g.inputs[`taps ${p}`] = valueDigest(phaseTaps(build, taps, p));
  const image = groups.at(-1)!.inputs;
  Object.assign(image, config.image);
  for (const v of IMAGE_VARIABLES) image[`env ${v}`] = valueDigest(build.env[v] ?? (v === 'IMAGE_NAME' ? build.config.name : ''));
  return groups;
}
