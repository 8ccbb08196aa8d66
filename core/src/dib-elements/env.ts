/**
 * The environment DIB gives its scripts (docs/dib-behaviour.md#script-environment) on top of
 * dib's build environment: the exported bash function `get_image_element_array`, `$_LIB`,
 * DIB_PYTHON_EXEC, DIB_LOCKFILES, and the PATH of host and chroot scripts; and the preview of
 * environment.d fragments that TypeScript elements see.
 *
 * The element list reaches scripts through a file in the hooks tree, not through one
 * environment variable: DIB exports `get_image_element_array` with every `[name]=path` in its
 * body, and Linux refuses to start a program when one environment string passes 128 KiB
 * (E2BIG) — about 2000 elements. Here the function reads the file; IMAGE_ELEMENT and
 * IMAGE_ELEMENT_YAML stay in the environment, as DIB has them, unless one is too large to pass:
 * then it is left out and `<NAME>_FILE` names the file that holds it.
 */
import fs from 'fs-extra';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { shellQuote } from '../util/shell.js';
import type { ResolvedElement } from '../contract/element.js';
import type { Env } from '../vocabulary.js';

/**
 * `$_LIB`: dib's version of DIB's shell library (die, common-functions, img-functions,
 * dib-run-parts, …) for scripts that source it. A host path, exported to chroot scripts too,
 * as DIB's `sudo -E` does.
 */
export const DIB_LIB_DIR = fileURLToPath(new URL('../../lib/dib-lib', import.meta.url));

/** Where the hooks tree is inside the chroot during chroot phases. */
export const IN_TARGET = '/tmp/in_target.d';

/** The words `get_image_element_array` prints: `[name]=path …`, sorted by name, for `declare -A`. */
export function imageElementArrayWords(elements: readonly Pick<ResolvedElement, 'name' | 'dir'>[]): string {
  return [...elements]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((e) => `[${e.name}]=${e.dir}`)
    .join(' ');
}

/** The hooks-tree file holding the element array (and the spilled variables' files). */
export const ELEMENT_ARRAY_FILE = 'image-element-array';

/** The value of `BASH_FUNC_get_image_element_array%%`: prints the element array file. */
export function imageElementArrayFunction(file: string): string {
  return `() {  cat ${shellQuote(file)}\n}`;
}

/** One environment string (NAME=value) longer than this cannot be passed to a program. */
const MAX_ENV_STRING = 128 * 1024 - 1;
function tooLarge(name: string, value: string | undefined): boolean {
  return value !== undefined && Buffer.byteLength(`${name}=${value}`) > MAX_ENV_STRING;
}

/** Whether NAME=value can be passed to a program (one environment string is at most 128 KiB). */
export function fitsInEnvironment(name: string, value: string): boolean {
  return !tooLarge(name, value);
}

/** The element-list variables of a build, by name (what IMAGE_ELEMENT* hold). */
export function elementListValues(elements: readonly Pick<ResolvedElement, 'name' | 'dir'>[]): Record<string, string> {
  return { IMAGE_ELEMENT: elements.map((e) => e.name).join(' '), IMAGE_ELEMENT_YAML: imageElementYaml(elements) };
}

/** IMAGE_ELEMENT_YAML: block-style YAML mapping name → path, keys sorted. */
export function imageElementYaml(elements: readonly Pick<ResolvedElement, 'name' | 'dir'>[]): string {
  return [...elements]
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((e) => `${e.name}: ${e.dir}`)
    .join('\n');
}

/**
 * Write the element array (and any element-list variable too large for the environment) into
 * the hooks tree, before any script runs. Returns the names that will be passed by file.
 */
export async function writeElementListFiles(hooksDir: string, elements: readonly Pick<ResolvedElement, 'name' | 'dir'>[]): Promise<string[]> {
  await fs.writeFile(path.join(hooksDir, ELEMENT_ARRAY_FILE), imageElementArrayWords(elements) + '\n');
  const spilled: string[] = [];
  for (const [name, value] of Object.entries(elementListValues(elements))) {
    if (!tooLarge(name, value)) continue;
    await fs.writeFile(path.join(hooksDir, name), value);
    spilled.push(name);
  }
  return spilled;
}

let python: string | undefined | null = null;
function pythonExec(): string | undefined {
  if (python === null) {
    python = ['/usr/bin/python3', '/usr/local/bin/python3', '/usr/bin/python'].find((p) => fs.existsSync(p));
  }
  return python;
}

/**
 * Variables every DIB script sees in addition to the phase environment (undefined: removed).
 * `hooksAt` is where the script finds the hooks tree: TMP_HOOKS_PATH on the host,
 * /tmp/in_target.d in the chroot.
 */
export function scriptEnv(env: Readonly<Env>, hooksAt: string, elements: readonly Pick<ResolvedElement, 'name' | 'dir'>[]): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {
    'BASH_FUNC_get_image_element_array%%': imageElementArrayFunction(path.posix.join(hooksAt, ELEMENT_ARRAY_FILE)),
    _LIB: DIB_LIB_DIR,
  };
  // the build environment leaves out what cannot be passed (see buildEnvironment)
  for (const [name, value] of Object.entries(elementListValues(elements))) {
    if (tooLarge(name, value)) out[`${name}_FILE`] = path.posix.join(hooksAt, name);
  }
  const py = pythonExec();
  if (!env.DIB_PYTHON_EXEC && py) out.DIB_PYTHON_EXEC = py;
  if (!env.DIB_LOCKFILES && env.DIB_IMAGE_CACHE) out.DIB_LOCKFILES = path.join(env.DIB_IMAGE_CACHE, 'lockfiles');
  if (env.DIB_DEBUG_TRACE === undefined) out.DIB_DEBUG_TRACE = '0';
  return out;
}

const PREVIEW = Symbol.for('dib.environment-preview');

/** Mark an element's environment function as a preview of environment.d fragments. */
export function markPreview<T extends (env: Readonly<Env>) => Env>(fn: T): T {
  Object.defineProperty(fn, PREVIEW, { value: true });
  return fn;
}

export function isPreview(fn: unknown): boolean {
  return typeof fn === 'function' && Reflect.get(fn, PREVIEW) === true;
}

const originalsOf = new WeakMap<object, Readonly<Record<string, string | undefined>>>();

/**
 * Record, for a build environment, the values its fragment previews replaced (undefined: the
 * variable was unset), so DIB scripts can start from the environment DIB would give them: the
 * fragments' effect comes from sourcing them in each phase, not twice.
 */
export function setPreviewOriginals(env: object, originals: Readonly<Record<string, string | undefined>>): void {
  originalsOf.set(env, originals);
}

export function previewOriginals(env: object): Readonly<Record<string, string | undefined>> {
  return originalsOf.get(env) ?? {};
}

/**
 * Evaluate environment.d fragments with bash (set +u: this is a preview made before the work
 * dir exists) and return the exported variables they add or change. Used so that TypeScript
 * elements (install types, OS elements) see what DIB elements export; scripts source the
 * fragments themselves, once per phase, as DIB does. Temporary files the fragments make
 * (`$(mktemp)`) go to a directory removed right after.
 */
export function previewFragments(files: readonly string[], env: Readonly<Env>): Env | undefined {
  if (files.length === 0) return {};
  const MARK = '__DIB_PREVIEW_MARK__';
  const script = `env -0; printf '${MARK}\\0'; for f in "$@"; do . "$f" || exit $?; done; env -0`;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dib-env-preview-'));
  const base: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env, TMPDIR: tmp };
  let r: ReturnType<typeof spawnSync>;
  try {
    r = spawnSync('bash', ['-c', script, 'dib-environment', ...files], { env: base, encoding: 'buffer', timeout: 30_000 });
  } finally {
    fs.removeSync(tmp);
  }
  if (r.status !== 0 || !r.stdout) return undefined;
  const entries = r.stdout.toString('utf8').split('\0');
  const at = entries.indexOf(MARK);
  if (at < 0) return undefined;
  const parse = (list: string[]) => {
    const m = new Map<string, string>();
    for (const entry of list) {
      const i = entry.indexOf('=');
      if (i > 0) m.set(entry.slice(0, i), entry.slice(i + 1));
    }
    return m;
  };
  const before = parse(entries.slice(0, at));
  const after = parse(entries.slice(at + 1));
  const out: Env = {};
  for (const [k, v] of after) {
    if (['PWD', 'OLDPWD', 'SHLVL', '_', 'TMPDIR'].includes(k) || k.startsWith('BASH_FUNC_')) continue;
    if (before.get(k) !== v) out[k] = v;
  }
  return out;
}
