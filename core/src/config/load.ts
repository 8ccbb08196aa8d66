/**
 * Finds and loads the config with cosmiconfig (module name `dib`): dib.config.ts/.mts/.js/
 * .mjs/.cjs, .dibrc, .dibrc.json/.yaml/.yml, package.json#dib, or `--config PATH`.
 */
import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig';
import fs from 'fs-extra';
import path from 'node:path';
import { DibError, isDibError } from '../errors.js';
import type { DibConfig } from './schema.js';
import { explainModuleMismatch, loadTsConfig } from './ts-loader.js';
import { validateConfig } from './validate.js';

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
  config: Partial<DibConfig>;
}

function explorer() {
  return cosmiconfig('dib', {
    searchPlaces: SEARCH_PLACES,
    searchStrategy: 'none',
    loaders: { '.ts': tsLoader, '.mts': tsLoader, '.js': jsLoader },
    cache: false,
  });
}

function wrap(e: unknown, file: string): DibError {
  if (isDibError(e)) return e;
  const first = ((e as Error).message ?? String(e)).split('\n')[0]!;
  return new DibError('E_CONFIG_SYNTAX', `${file}: ${first}`, { hint: `fix the syntax of ${path.basename(file)}` });
}

/** Load `--config PATH`, or search `dir` for a config. Returns undefined when there is none. */
export async function loadConfigFile(options: { configPath?: string; dir: string }): Promise<LoadedConfig | undefined> {
  if (options.configPath) {
    const file = path.resolve(options.dir, options.configPath);
    if (!(await fs.pathExists(file))) {
      throw new DibError('E_CONFIG_NOT_FOUND', `config file ${file} does not exist`, {
        hint: "check --config, or create one with 'dib init'",
      });
    }
    let result;
    try {
      result = await explorer().load(file);
    } catch (e) {
      throw wrap(e, file);
    }
    if (!result || result.isEmpty) {
      throw new DibError('E_CONFIG_TYPE', `${file}: the config is empty`, { hint: "export a config: export default defineConfig({ elements: [...] })" });
    }
    return { file, config: validateConfig(result.config, path.basename(file)) };
  }
  let result;
  try {
    result = await explorer().search(options.dir);
  } catch (e) {
    const file = (e as { filepath?: string }).filepath ?? path.join(options.dir, 'dib config');
    throw wrap(e, file);
  }
  if (!result) return undefined;
  const where = path.basename(result.filepath) === 'package.json' ? 'package.json#dib' : path.basename(result.filepath);
  return { file: result.filepath, config: validateConfig(result.config, where) };
}
