/**
 * Finds and loads the config with cosmiconfig (module name `dib`): dib.config.ts/.mts/.js/
 * .mjs/.cjs, .dibrc, .dibrc.json/.yaml/.yml, package.json#dib, or `--config PATH`.
 * JSON and YAML are read by dib's own loaders so that a syntax error keeps its line and
 * column, and so that problems found later can name the line of the key. A config may export
 * an object, a promise of one, or a function of `{ command, arch }` (vite's form).
 */
import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig';
import fs from 'fs-extra';
import path from 'node:path';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { DibError, isDibError } from '../errors.js';
import { jsonSyntaxError } from './json-syntax.js';
import type { ConfigProblem } from './problems.js';
import type { ConfigEnv, DibConfig } from './schema.js';
import { hostArch } from './settings.js';
import { explainModuleMismatch, loadTsConfig } from './ts-loader.js';
import { checkConfig, type Locate, type PathSegment } from './validate.js';

export const SEARCH_PLACES = [
  'package.json',
  '.dibrc',
  '.dibrc.json',
  '.dibrc.yaml',
  '.dibrc.yml',
  '.dibrc.js',
  '.dibrc.mjs',
  '.dibrc.cjs',
  'dib.config.ts',
  'dib.config.mts',
  'dib.config.js',
  'dib.config.mjs',
  'dib.config.cjs',
];

/** Key positions of the JSON and YAML files loaded in this process, by file. */
const positions = new Map<string, (segs: readonly PathSegment[]) => { line: number; col: number } | undefined>();

function syntaxError(file: string, line: number, col: number, message: string): DibError {
  return new DibError('E_CONFIG_SYNTAX', `${file}:${line}:${col}: ${message}`, { hint: `fix the syntax of ${path.basename(file)} at line ${line}` });
}

function remember(file: string, doc: Document, counter: LineCounter): void {
  positions.set(file, (segs) => {
    for (let n = segs.length; n > 0; n--) {
      // the key's own position, else its nearest parent's
      const node = doc.getIn(segs.slice(0, n), true);
      const parent = n > 1 ? doc.getIn(segs.slice(0, n - 1), true) : doc.contents;
      let offset: number | undefined;
      if (parent && isNode(parent) && 'items' in parent && typeof segs[n - 1] === 'string') {
        const pair = (parent.items as Array<{ key?: unknown }>).find((p) => isNode(p.key) && (p.key as { value?: unknown }).value === segs[n - 1]);
        if (pair && isNode(pair.key)) offset = pair.key.range?.[0];
      }
      if (offset === undefined && node && isNode(node)) offset = node.range?.[0];
      if (offset !== undefined) {
        const p = counter.linePos(offset);
        return { line: p.line, col: p.col };
      }
    }
    return undefined;
  });
}

function yamlDocument(file: string, text: string): unknown {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const pos = err.linePos?.[0] ?? counter.linePos(err.pos[0]);
    throw syntaxError(file, pos.line, pos.col, err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, ''));
  }
  remember(file, doc, counter);
  return doc.toJS() as unknown;
}

const yamlLoader: Loader = (file, content) => yamlDocument(file, content);

const jsonLoader: Loader = (file, content) => {
  const text = content.replace(/^\uFEFF/, '');
  try {
    JSON.parse(text);
  } catch (e) {
    const at = jsonSyntaxError(text);
    if (at) throw syntaxError(file, at.line, at.column, at.message);
    throw syntaxError(file, 1, 1, (e as Error).message);
  }
  // JSON is YAML: one parser gives the value with positions (and refuses duplicate keys)
  return yamlDocument(file, text);
};

const tsLoader: Loader = (filepath, content) => loadTsConfig(filepath, content);
const jsLoader: Loader = async (filepath, content) => {
  try {
    return await defaultLoaders['.js'](filepath, content);
  } catch (e) {
    throw explainModuleMismatch(filepath, e) ?? e;
  }
};

export interface LoadedConfig {
  file: string;
  /** the validated config (problems removed) */
  config: Partial<DibConfig>;
  /** what is wrong with it; the resolver reports these with the command line's and environment's */
  problems: ConfigProblem[];
}

function explorer() {
  return cosmiconfig('dib', {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'none',
    loaders: { '.ts': tsLoader, '.mts': tsLoader, '.js': jsLoader, '.json': jsonLoader, '.yaml': yamlLoader, '.yml': yamlLoader, noExt: yamlLoader },
    cache: false,
  });
}

function wrap(e: unknown, file: string): DibError {
  if (isDibError(e)) return e;
  const err = e as Error & { mark?: { line: number; column: number } };
  const first = (err.message ?? String(e)).split('\n').find((l) => l.trim() && !/^(JSON|YAML) Error in /.test(l)) ?? String(e);
  return new DibError('E_CONFIG_SYNTAX', `${file}: ${first}`, { hint: `fix the syntax of ${path.basename(file)}` });
}

/** The value a config file exported: a function is called with `env`, a promise awaited. */
async function evaluate(value: unknown, file: string, env: ConfigEnv): Promise<unknown> {
  try {
    if (typeof value === 'function') value = await (value as (e: ConfigEnv) => unknown)(env);
    else if (value !== null && typeof (value as { then?: unknown }).then === 'function') value = await value;
  } catch (e) {
    if (isDibError(e)) throw e;
    throw new DibError('E_CONFIG_VALUE', `${file}: the config ${typeof value === 'function' ? 'function' : 'promise'} failed: ${((e as Error).message ?? String(e)).split('\n')[0]}`, {
      hint: `fix the code of ${path.basename(file)} (DIB_DEBUG_TRACE=1 shows the stack)`,
      cause: e,
    });
  }
  return value;
}

function checked(file: string, exported: unknown, where: string, prefix: PathSegment[]): LoadedConfig {
  const pos = positions.get(file);
  const locate: Locate | undefined = pos
    ? (segs) => {
        const p = pos([...prefix, ...segs]);
        return p ? `${where}:${p.line}:${p.col}` : undefined;
      }
    : undefined;
  const { config, problems } = checkConfig(exported, where, locate);
  return { file, config, problems };
}

export interface LoadOptions {
  configPath?: string;
  dir: string;
  /** what a function config receives */
  env?: ConfigEnv;
}

/** Load `--config PATH`, or search `dir` for a config. Returns undefined when there is none. */
export async function loadConfigFile(options: LoadOptions): Promise<LoadedConfig | undefined> {
  const env = options.env ?? { command: 'build', arch: hostArch() };
  let result;
  let file: string;
  if (options.configPath) {
    file = path.resolve(options.dir, options.configPath);
    if (!(await fs.pathExists(file))) {
      throw new DibError('E_CONFIG_NOT_FOUND', `config file ${file} does not exist`, {
        hint: "check --config, or create one with 'dib init'",
      });
    }
    try {
      result = await explorer().load(file);
    } catch (e) {
      throw wrap(e, file);
    }
    if (!result || result.isEmpty) {
      throw new DibError('E_CONFIG_TYPE', `${file}: the config is empty`, { hint: 'export a config: export default defineConfig({ elements: [...] })' });
    }
  } else {
    try {
      result = await explorer().search(options.dir);
    } catch (e) {
      throw wrap(e, (e as { filepath?: string }).filepath ?? path.join(options.dir, 'dib config'));
    }
    if (!result) return undefined;
    file = result.filepath;
  }
  const isPackageJson = path.basename(file) === 'package.json';
  const where = isPackageJson ? 'package.json#dib' : path.basename(file);
  const value = await evaluate(result.config, where, env);
  return checked(file, value, where, isPackageJson ? ['dib'] : []);
}
