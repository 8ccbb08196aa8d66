/**
 * Validation of config values against the settings table: unknown keys (with a "did you
 * mean"), wrong types and bad values, every problem at once, each naming where it is, the
 * key path and the fix.
 *
 * Keys are looked up as own properties only: `__proto__`, `constructor` and `prototype` are
 * unknown keys at the top and refused anywhere below, and what is returned is a fresh copy
 * holding own keys only, so a config cannot reach Object.prototype or smuggle values in
 * through its own prototype.
 */
import * as v from 'valibot';
import type { ErrorCode } from '../errors.js';
import { closest } from '../util/suggest.js';
import { throwProblems, type ConfigProblem } from './problems.js';
import type { DibConfig } from './schema.js';
import { SETTING_KEYS, settingOf, type SettingSpec } from './settings.js';

export type PathSegment = string | number;
/** Where a key path is in its file (`.dibrc.yaml:3:9`), when the loader knows. */
export type Locate = (path: readonly PathSegment[]) => string | undefined;

const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);

/** `types[1]`, `env.DIB_X`, `blockDevice[0].local_loop`. */
export function formatPath(segs: readonly PathSegment[]): string {
  let out = '';
  for (const s of segs) out += typeof s === 'number' ? `[${s}]` : out ? `.${s}` : s;
  return out;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const proto = Object.getPrototypeOf(x) as unknown;
  return proto === Object.prototype || proto === null;
}

/** A copy of plain data with own keys only; reserved keys are reported and dropped. */
function sanitize(value: unknown, segs: PathSegment[], report: (segs: PathSegment[], key: string) => void): unknown {
  if (Array.isArray(value)) return value.map((x, i) => sanitize(x, [...segs, i], report));
  if (typeof value !== 'object' || value === null) return value;
  // a TS/JS config may hand over any object: read own enumerable keys only (no prototype values)
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value)) {
    if (RESERVED.has(k)) {
      report(segs, k);
      continue;
    }
    out[k] = sanitize((value as Record<string, unknown>)[k], [...segs, k], report);
  }
  return isPlainObject(value) ? out : value;
}

/** TS literal of an example → command-line or shell text (`['qcow2', 'tar']` → `qcow2,tar`). */
export function exampleText(example: string): string {
  return example.replace(/^\[|\]$/g, '').replace(/'/g, '').replace(/,\s*/g, ',');
}

export interface ValueLabel {
  /** `dib.config.ts`, `command line`, `environment` */
  where: string;
  /** key path of the value (`['imageSize']`) for file values; for flags and variables the label (`--image-size`) */
  segs: PathSegment[];
  /** the fix for a bad value */
  fix: string;
  locate?: Locate;
}

function issuePath(issue: v.BaseIssue<unknown>): PathSegment[] {
  return (issue.path ?? []).map((p) => (typeof p.key === 'number' ? p.key : String(p.key)));
}

/** Leaf issues (a union's sub-issues when it has them). */
function leaves(issue: v.BaseIssue<unknown>): v.BaseIssue<unknown>[] {
  if (issue.type === 'union' && issue.issues?.length) {
    // a union whose options all failed on type: its own message says what is expected
    if (issue.issues.every((i) => i.kind === 'schema' && !i.path)) return [issue];
    return issue.issues.flatMap(leaves);
  }
  return [issue];
}

/** Problems of one setting's value (schema, then the setting's own rules). */
export function checkValue(s: SettingSpec, value: unknown, label: ValueLabel): { ok: boolean; value: unknown; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  const at = (sub: PathSegment[], code: ErrorCode, message: string, fix = label.fix) => {
    const segs = [...label.segs, ...sub];
    problems.push({ code, where: label.locate?.(segs) ?? label.where, path: formatPath(segs), message, fix });
  };
  const r = v.safeParse(s.schema, value);
  if (!r.success) {
    const seen = new Set<string>();
    for (const issue of r.issues.flatMap(leaves)) {
      const sub = issuePath(issue);
      const key = `${formatPath(sub)}\u0000${issue.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      at(sub, issue.kind === 'schema' ? 'E_CONFIG_TYPE' : 'E_CONFIG_VALUE', issue.message);
    }
    return { ok: false, value, problems };
  }
  const refined = s.refine?.(r.output as never);
  const list = refined === undefined ? [] : Array.isArray(refined) ? refined : [refined];
  for (const p of list) {
    const sub = p.path ? p.path.split(/\.|(?=\[)/).filter(Boolean).map((x) => (/^\[\d+\]$/.test(x) ? Number(x.slice(1, -1)) : x)) : [];
    at(sub, p.code ?? 'E_CONFIG_VALUE', p.message, p.fix);
  }
  if (list.length) return { ok: false, value, problems };
  return { ok: true, value: r.output, problems };
}

export interface CheckedConfig {
  config: Partial<DibConfig>;
  problems: ConfigProblem[];
}

/**
 * Check a whole config object (what a file exported). `where` names the file; `locate`
 * turns a key path into `file:line:col` for files whose positions are known.
 */
export function checkConfig(raw: unknown, where: string, locate?: Locate): CheckedConfig {
  const problems: ConfigProblem[] = [];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({
      code: 'E_CONFIG_TYPE',
      where,
      path: '',
      message: `the config must be an object, not ${Array.isArray(raw) ? 'a list' : raw === null ? 'null' : typeof raw}`,
      fix: "export one: export default defineConfig({ elements: ['vm', 'debian-minimal'] })",
    });
    return { config: {}, problems };
  }
  const copy = sanitize(raw, [], (segs, key) => {
    const at = [...segs, key];
    const top = segs.length === 0;
    problems.push({
      code: top ? 'E_CONFIG_UNKNOWN_KEY' : 'E_CONFIG_VALUE',
      where: locate?.(at) ?? where,
      path: formatPath(at),
      message: top ? 'unknown key' : `'${key}' cannot be a key here (it is reserved in JavaScript objects)`,
      fix: 'remove it',
    });
  }) as Record<string, unknown>;
  const config: Record<string, unknown> = {};
  for (const key of Object.keys(copy)) {
    const s = settingOf(key);
    if (!s) {
      const near = closest(key, SETTING_KEYS);
      problems.push({
        code: 'E_CONFIG_UNKNOWN_KEY',
        where: locate?.([key]) ?? where,
        path: key,
        message: `unknown key${near ? ` (did you mean '${near}'?)` : ''}`,
        fix: near ? `rename it to '${near}'` : `remove it; known keys: ${SETTING_KEYS.join(', ')}`,
      });
      continue;
    }
    const value = copy[key];
    if (value === undefined) continue;
    const r = checkValue(s, value, { where, segs: [key], fix: `write ${key}: ${s.example}`, locate });
    problems.push(...r.problems);
    if (r.ok) config[key] = r.value;
  }
  return { config: config as Partial<DibConfig>, problems };
}

/** Check `raw` and return it typed; throws every problem at once (ConfigError). */
export function validateConfig(raw: unknown, where: string, locate?: Locate): Partial<DibConfig> {
  const { config, problems } = checkConfig(raw, where, locate);
  throwProblems(problems);
  return config;
}
