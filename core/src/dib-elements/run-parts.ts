/**
 * dib-run-parts' rules (docs/dib-behaviour.md#run-order-dib-run-parts): which files of a `<phase>.d` directory run, in which
 * order, and which `environment.d` fragments are sourced, in which order.
 */
import fs from 'fs-extra';
import path from 'node:path';

/** RUN_PARTS_REGEX: names of scripts that run (no dots). */
export const SCRIPT_NAME = /^[0-9A-Za-z_-]+$/;
/** names of environment.d fragments that are sourced */
export const FRAGMENT_NAME = /^[0-9A-Za-z_.-]+$/;

export interface ScriptInfo {
  /** full basename (`10-foo`), the tap name: DIB's duplicate rule compares these */
  name: string;
  /** numeric prefix (no digits → 0), the tap stage */
  stage: number;
  /** the name without its numeric prefix and one `-`/`_` after it, to interleave with TS taps */
  sortName: string;
}

/** Stage and sort name of a script name. */
export function scriptInfo(name: string): ScriptInfo {
  const m = /^([0-9]*)(.*)$/.exec(name)!;
  const digits = m[1]!;
  let rest = m[2]!;
  if (digits && (rest.startsWith('-') || rest.startsWith('_'))) rest = rest.slice(1);
  return { name, stage: digits ? Number.parseInt(digits, 10) : 0, sortName: digits ? rest : name };
}

function bytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/** `sort -n` over basenames: numeric on leading digits (none = 0), ties bytewise. */
export function compareRunParts(a: string, b: string): number {
  const sa = scriptInfo(a).stage;
  const sb = scriptInfo(b).stage;
  return sa !== sb ? sa - sb : bytewise(a, b);
}

/** The fragments' order: `sort -n` over full paths in one directory, i.e. bytewise. */
export function compareFragments(a: string, b: string): number {
  return bytewise(a, b);
}

async function resolvesToFile(p: string): Promise<fs.Stats | undefined> {
  const st = await fs.stat(p).catch(() => undefined);
  return st?.isFile() ? st : undefined;
}

export interface ListedScript extends ScriptInfo {
  path: string;
}

export interface ScriptListing {
  scripts: ListedScript[];
  /** entries dib-run-parts skips, with the reason (for the debug log) */
  skipped: { name: string; why: string }[];
}

/**
 * The scripts dib-run-parts would run in `dir`: entries that resolve to regular files
 * (symlinks count), are executable and have dot-free names; in run order.
 */
export async function listScripts(dir: string): Promise<ScriptListing> {
  const out: ScriptListing = { scripts: [], skipped: [] };
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!SCRIPT_NAME.test(name)) {
      out.skipped.push({ name, why: 'name does not match ^[0-9A-Za-z_-]+$' });
      continue;
    }
    const p = path.join(dir, name);
    const st = await resolvesToFile(p);
    if (!st) {
      if ((await fs.stat(p).catch(() => undefined))?.isDirectory()) continue; // install-type dirs etc.
      out.skipped.push({ name, why: 'not a regular file' });
      continue;
    }
    if ((st.mode & 0o111) === 0) {
      out.skipped.push({ name, why: 'not executable' });
      continue;
    }
    out.scripts.push({ ...scriptInfo(name), path: p });
  }
  out.scripts.sort((a, b) => compareRunParts(a.name, b.name));
  return out;
}

/** environment.d fragments of `dir` in the order dib-run-parts sources them. */
export async function listFragments(dir: string): Promise<string[]> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const out: string[] = [];
  for (const name of names) {
    if (!FRAGMENT_NAME.test(name)) continue;
    if (await resolvesToFile(path.join(dir, name))) out.push(name);
  }
  return out.sort(compareFragments);
}

/**
 * The shell that sources a phase's environment.d fragments once, as dib-run-parts does before
 * it runs the phase's scripts: `set -eu -o pipefail`, every fragment in order, then the
 * exported environment written NUL-separated (`env -0`) before and after, so only exported
 * variables are carried to the scripts. A failing fragment is named on stderr. What the
 * fragments print goes to the log, as in DIB.
 * Arguments: `$1` = file for the environment before, `$2` = after, `$3…` = fragments.
 */
export const SOURCE_FRAGMENTS_SHELL = [
  'set -eu',
  '(set -o pipefail) 2>/dev/null && set -o pipefail',
  '_dib_before=$1; _dib_after=$2; shift 2',
  'env -0 > "$_dib_before"',
  '_dib_fragment=',
  "trap '_dib_rc=$?; if [ $_dib_rc -ne 0 ] && [ -n \"$_dib_fragment\" ]; then echo \"dib-run-parts: sourcing $_dib_fragment failed (status $_dib_rc)\" >&2; fi' EXIT",
  'for _dib_f in "$@"; do _dib_fragment=$_dib_f; . "$_dib_f"; done',
  '_dib_fragment=',
  'trap - EXIT',
  'env -0 > "$_dib_after"',
].join('\n');

/** Variables the shell itself sets, never carried from the fragments to the scripts. */
const SHELL_OWN = new Set(['PWD', 'OLDPWD', 'SHLVL', '_']);

/** Parse `env -0` output. */
export function parseEnv0(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const entry of text.split('\0')) {
    const i = entry.indexOf('=');
    if (i > 0) m.set(entry.slice(0, i), entry.slice(i + 1));
  }
  return m;
}

/**
 * What sourcing the fragments changed: variables set or changed (their value) and unset
 * (undefined), for the scripts' environment.
 */
export function envDelta(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of after) if (!SHELL_OWN.has(k) && before.get(k) !== v) out[k] = v;
  for (const k of before.keys()) if (!SHELL_OWN.has(k) && !after.has(k)) out[k] = undefined;
  return out;
}

/**
 * The shell that runs one script of a phase, in the environment the phase's fragments made
 * (DIB's scripts run as children of dib-run-parts, with `set -e` not inherited).
 * Arguments: `$1` = script.
 */
export const RUN_SCRIPT_SHELL = 'exec "$1"';
