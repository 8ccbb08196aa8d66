/**
 * Resolve the config: the file, the command line, the environment and the defaults of the
 * settings table, merged by the table's precedence (command line > file key > environment
 * variable > the config's `env` map > default), every problem reported at once. Records where
 * each value came from, for `dib config`.
 */
import path from 'node:path';
import { DibError } from '../errors.js';
import { loadConfigFile } from './load.js';
import { throwProblems, type ConfigProblem } from './problems.js';
import type { ConfigEnv, DibConfig, ResolvedConfig } from './schema.js';
import { defaultOf, FlagProblem, hostArch, SETTINGS, settingOf, type SettingSpec } from './settings.js';
import { checkValue, exampleText } from './validate.js';

export { hostArch };

export interface ResolveOptions {
  /** directory to search for a config, and base of relative paths without one */
  cwd: string;
  /** `--config PATH` */
  configPath?: string;
  /** values from the command line (already parsed by the flags); they override the file */
  overrides?: Partial<DibConfig>;
  /** how each override was spelled on the command line (`--image-size`), for messages */
  overrideLabels?: Readonly<Record<string, string>>;
  /** problems found while reading the command line, reported with the config's */
  cliProblems?: readonly ConfigProblem[];
  /** the process environment (DIB_*, ELEMENTS_PATH and each setting's variable); {} with `-c` */
  processEnv?: NodeJS.ProcessEnv;
  /** false: a config without elements is fine (dib doctor, dib config) */
  requireElements?: boolean;
  /** the command (what a function config receives) */
  command?: string;
}

export type SourceKind = 'cli' | 'file' | 'env' | 'file-env' | 'default';

/** Where a value came from. */
export interface ValueSource {
  kind: SourceKind;
  /** `--image-size`, `dib.config.ts`, `DIB_IMAGE_SIZE`, `dib.config.ts env.DIB_IMAGE_SIZE`, `default` */
  label: string;
}

export interface ResolvedDetails {
  config: ResolvedConfig;
  /** per setting, the sources its value came from (several for merged lists and maps; empty when unset) */
  sources: Record<string, ValueSource[]>;
  /** per build variable of `env`, where it came from */
  envSources: Record<string, ValueSource>;
}

interface Candidate {
  value: unknown;
  source: ValueSource;
  /** directory relative paths of this value resolve from */
  dir: string;
}

const PRECEDENCE: Record<SourceKind, number> = { cli: 0, file: 1, env: 2, 'file-env': 3, default: 4 };

export function flagLabel(s: SettingSpec, key: string): string {
  return s.flag ? `--${s.flag.long}` : s.positional ? 'elements' : key;
}

/** The fix for a bad command-line value. */
function flagFix(s: SettingSpec, key: string): string {
  if (!s.flag) return `give ${key} as ${s.example}`;
  if (!s.flag.value) return `write --${s.flag.long} without a value`;
  return `write e.g. --${s.flag.long} ${exampleText(s.example)}`;
}

function parsed(s: SettingSpec, raw: string, name: string, where: string, problems: ConfigProblem[], fix: string): unknown {
  try {
    return s.env?.parse ? s.env.parse(raw) : raw;
  } catch (e) {
    if (!(e instanceof FlagProblem)) throw e;
    problems.push({ code: 'E_CONFIG_VALUE', where, path: name, message: e.message, fix: e.fix || fix });
    return undefined;
  }
}

/** Resolve with the sources of every value. */
export async function resolveConfigDetailed(opts: ResolveOptions): Promise<ResolvedDetails> {
  const penv = opts.processEnv ?? process.env;
  const problems: ConfigProblem[] = [...(opts.cliProblems ?? [])];
  const candidates = new Map<string, Candidate[]>();
  const add = (key: string, c: Candidate) => candidates.set(key, [...(candidates.get(key) ?? []), c]);

  // the command line
  for (const [key, value] of Object.entries(opts.overrides ?? {})) {
    if (value === undefined) continue;
    const s = settingOf(key);
    if (!s) throw new DibError('E_INTERNAL', `command-line override of unknown setting '${key}'`);
    const label = opts.overrideLabels?.[key] ?? flagLabel(s, key);
    const r = checkValue(s, value, { where: 'command line', segs: [label], fix: flagFix(s, key) });
    problems.push(...r.problems);
    if (r.ok) add(key, { value: r.value, source: { kind: 'cli', label: s.positional ? 'command line' : label }, dir: opts.cwd });
  }

  // the environment
  const envValue = (s: SettingSpec, key: string, env: Readonly<Record<string, string | undefined>>, kind: 'env' | 'file-env', where: string, dir: string) => {
    if (!s.env) return;
    const name = s.env.name;
    let value: unknown;
    if (s.env.read) value = s.env.read(env);
    else {
      const raw = Object.hasOwn(env, name) ? env[name] : undefined;
      if (raw === undefined || raw === '') return;
      value = parsed(s, raw, kind === 'env' ? name : `env.${name}`, where, problems, `export ${name}=${exampleText(s.example)}`);
    }
    if (value === undefined) return;
    const segs = kind === 'env' ? [name] : ['env', name];
    const r = checkValue(s, value, { where, segs, fix: kind === 'env' ? `export ${name}=${exampleText(s.example)} (or unset it)` : `write env: { ${name}: '${exampleText(s.example)}' }` });
    problems.push(...r.problems);
    if (r.ok) add(key, { value: r.value, source: { kind, label: kind === 'env' ? (s.env.read ? 'environment' : name) : `${where} env.${name}` }, dir });
  };
  const settings = Object.entries(SETTINGS) as Array<[string, SettingSpec]>;
  for (const [key, s] of settings) envValue(s, key, penv, 'env', 'environment', opts.cwd);

  // the file (a function config sees the architecture known so far)
  const cliArch = candidates.get('arch')?.find((c) => c.source.kind === 'cli')?.value as string | undefined;
  const envArch = candidates.get('arch')?.find((c) => c.source.kind === 'env')?.value as string | undefined;
  const configEnv: ConfigEnv = { command: opts.command ?? 'build', arch: cliArch ?? envArch ?? hostArch() };
  const loaded = await loadConfigFile({ configPath: opts.configPath, dir: opts.cwd, env: configEnv });
  const baseDir = loaded ? path.dirname(loaded.file) : opts.cwd;
  if (loaded) {
    problems.push(...loaded.problems);
    const where = path.basename(loaded.file) === 'package.json' ? 'package.json#dib' : path.basename(loaded.file);
    for (const [key, value] of Object.entries(loaded.config)) {
      if (value !== undefined) add(key, { value, source: { kind: 'file', label: where }, dir: baseDir });
    }
    const fileEnv = (loaded.config.env ?? {}) as Record<string, string>;
    for (const [key, s] of settings) if (s.merge !== 'assign') envValue(s, key, fileEnv, 'file-env', where, baseDir);
  }
  throwProblems(problems);

  // merge by precedence, resolve
  const sources: Record<string, ValueSource[]> = {};
  const envSources: Record<string, ValueSource> = {};
  const picked = new Map<string, Candidate | Candidate[] | undefined>();
  for (const [key, s] of settings) {
    const cs = [...(candidates.get(key) ?? [])].sort((a, b) => PRECEDENCE[a.source.kind] - PRECEDENCE[b.source.kind]);
    if (s.merge === 'append') picked.set(key, cs.length ? cs : undefined);
    else if (s.merge === 'assign') {
      // the config's env map is below the environment's variables, which are below -e
      const order = (c: Candidate) => (c.source.kind === 'file' ? 3 : PRECEDENCE[c.source.kind]);
      picked.set(key, cs.length ? cs.sort((a, b) => order(a) - order(b)) : undefined);
    } else picked.set(key, cs[0]);
  }
  const resolved = new Map<string, unknown>();
  const resolving = new Set<string>();
  const get = (key: string): unknown => {
    if (resolved.has(key)) return resolved.get(key);
    if (resolving.has(key)) throw new DibError('E_INTERNAL', `settings table: '${key}' depends on itself`);
    resolving.add(key);
    const s = settingOf(key)!;
    const p = picked.get(key);
    const one = (value: unknown, dir: string) => (s.resolve ? s.resolve(value as never, { dir, get }) : value);
    let out: unknown;
    if (Array.isArray(p) && s.merge === 'append') {
      out = p.flatMap((c) => one(c.value, c.dir) as unknown[]);
      sources[key] = p.map((c) => c.source);
    } else if (Array.isArray(p)) {
      const env: Record<string, string> = {};
      for (const c of [...p].reverse()) {
        for (const [k, x] of Object.entries(c.value as Record<string, string>)) {
          Object.defineProperty(env, k, { value: x, enumerable: true, writable: true, configurable: true });
          envSources[k] = c.source.kind === 'file' ? { kind: 'file', label: `${c.source.label} env` } : c.source;
        }
      }
      out = one(env, baseDir);
      sources[key] = p.map((c) => c.source);
    } else if (p) {
      out = one(p.value, p.dir);
      sources[key] = [p.source];
    } else {
      const d = defaultOf(s);
      out = d === undefined && !s.resolve ? undefined : one(d, baseDir);
      sources[key] = d === undefined ? [] : [{ kind: 'default', label: 'default' }];
    }
    resolving.delete(key);
    resolved.set(key, out);
    return out;
  };
  const config: Record<string, unknown> = { file: loaded?.file, baseDir };
  for (const [key] of settings) {
    if (key === '$schema') continue;
    const value = get(key);
    if (value !== undefined) config[key] = value;
  }
  if (loaded === undefined) delete config.file;
  // who asked for the elements, for "required by" in element errors
  config.elementsFrom = sources.elements?.some((x) => x.kind === 'cli') ? 'command line' : 'config';
  if (config.refresh === true && config.offline === true) {
    throw new DibError('E_USAGE', '--refresh and --offline cannot go together: --refresh makes cached roots and checkpoints again, which needs the network', {
      hint: 'drop --refresh to build from the cache only, or --offline (DIB_OFFLINE) to refresh',
    });
  }
  const elements = config.elements as string[];
  if (opts.requireElements !== false && elements.length === 0) {
    throw new DibError('E_USAGE', loaded ? `${path.basename(loaded.file)}: no elements to build` : 'no elements given and no dib config found in ' + opts.cwd, {
      hint: loaded ? "add `elements: ['vm', 'debian-minimal']` to the config" : "name elements (dib build vm debian-minimal) or create a config with 'dib init'",
    });
  }
  return { config: config as ResolvedConfig, sources, envSources };
}

export async function resolveConfig(opts: ResolveOptions): Promise<ResolvedConfig> {
  return (await resolveConfigDetailed(opts)).config;
}
