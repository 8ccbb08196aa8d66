/**
 * The environment DIB gives its scripts (docs/dib-behaviour.md#script-environment) on top of dib's build environment:
 * the exported bash function `get_image_element_array`, DIB_PYTHON_EXEC, DIB_LOCKFILES, and the
 * PATH of host and chroot scripts.
 */
import fs from 'fs-extra';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { shellQuote } from '../util/shell.js';
import type { ResolvedElement } from '../contract/element.js';
import type { Env } from '../vocabulary.js';

/** Where the hooks tree is inside the chroot during chroot phases. */
export const IN_TARGET = '/tmp/in_target.d';


/** The value of `BASH_FUNC_get_image_element_array%%`: echoes `[name]=path …` for `declare -A`. */
export function imageElementArrayFunction(elements: readonly Pick<ResolvedElement, 'name' | 'dir'>[]): string {
  const words = [...elements]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((e) => `[${e.name}]=${e.dir}`)
    .join(' ');
  return `() {  echo ${shellQuote(words)}\n}`;
}

let python: string | undefined | null = null;
function pythonExec(): string | undefined {
  if (python === null) {
    python = ['/usr/bin/python3', '/usr/local/bin/python3', '/usr/bin/python'].find((p) => fs.existsSync(p));
  }
  return python;
}

/** Variables every legacy script sees in addition to the phase environment. */
export function scriptEnv(env: Readonly<Env>, elements: readonly Pick<ResolvedElement, 'name' | 'dir'>[]): Record<string, string> {
  const out: Record<string, string> = {
    'BASH_FUNC_get_image_element_array%%': imageElementArrayFunction(elements),
  };
  const py = pythonExec();
  if (!env.DIB_PYTHON_EXEC && py) out.DIB_PYTHON_EXEC = py;
  if (!env.DIB_LOCKFILES && env.DIB_IMAGE_CACHE) out.DIB_LOCKFILES = path.join(env.DIB_IMAGE_CACHE, 'lockfiles');
  if (env.DIB_DEBUG_TRACE === undefined) out.DIB_DEBUG_TRACE = '0';
  return out;
}

/**
 * Evaluate environment.d fragments with bash (set +u: this is a preview made before the work
 * dir exists) and return the exported variables they add or change. Used so that TypeScript
 * elements (install types, OS elements) see what DIB elements export; scripts source the
 * fragments themselves, for real, on every run.
 */
export function previewFragments(files: readonly string[], env: Readonly<Env>): Env | undefined {
  if (files.length === 0) return {};
  const MARK = '__DIB_PREVIEW_MARK__';
  const script = `env -0; printf '${MARK}\\0'; for f in "$@"; do . "$f" || exit $?; done; env -0`;
  const base: Record<string, string> = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', ...env };
  const r = spawnSync('bash', ['-c', script, 'dib-environment', ...files], { env: base, encoding: 'buffer', timeout: 30_000 });
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
    if (['PWD', 'OLDPWD', 'SHLVL', '_'].includes(k) || k.startsWith('BASH_FUNC_')) continue;
    if (before.get(k) !== v) out[k] = v;
  }
  return out;
}
