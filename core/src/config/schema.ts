/**
 * The config types, derived from the settings table (settings.ts): what `dib.config.ts`
 * (or `.dibrc*`, `package.json#dib`) may hold, and what a build sees after resolution.
 * This is public API: keep it small, documented and stable.
 */
import type * as v from 'valibot';
import type { Setting, Settings } from './settings.js';

export { OUTPUT_TYPES } from './output-types.js';
export type { OutputType } from './output-types.js';
export type { BlockDeviceConfig, BlockDeviceEntry } from './settings.js';

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type InputOf<K extends keyof Settings> = Settings[K]['schema'] extends infer S extends v.GenericSchema ? v.InferInput<S> : never;
type RequiredKeys = { [K in keyof Settings]: Settings[K]['required'] extends true ? K : never }[keyof Settings];

/** A config file's content: every key of the settings table; `elements` is required. */
export type DibConfig = Simplify<{ [K in RequiredKeys]: InputOf<K> } & { [K in Exclude<keyof Settings, RequiredKeys>]?: InputOf<K> }>;

/** What a function config receives (vite's ConfigEnv). */
export interface ConfigEnv {
  /** the dib command loading the config: `build`, `plan`, `packages`, `doctor`, `config`, … */
  command: string;
  /** the target architecture known before the config is read (`-a`, `ARCH`, else the host's) */
  arch: string;
}

/** A function config: `defineConfig(({ command, arch }) => ({ … }))`, possibly async. */
export type DibConfigFn = (env: ConfigEnv) => DibConfig | Promise<DibConfig>;
/** What a config file may export. */
export type DibConfigExport = DibConfig | Promise<DibConfig> | DibConfigFn;

/** Identity function that gives `dib.config.ts` its types (an object, a promise or a function, as vite's). */
export function defineConfig(config: DibConfig): DibConfig;
export function defineConfig(config: Promise<DibConfig>): Promise<DibConfig>;
export function defineConfig(config: DibConfigFn): DibConfigFn;
export function defineConfig(config: DibConfigExport): DibConfigExport;
export function defineConfig(config: DibConfigExport): DibConfigExport {
  return config;
}

// a resolver's result as it is; else the value, unset when there is no default
type ResolvedOf<K extends keyof Settings> =
  Settings[K] extends Setting<infer S, infer R, infer D, boolean> ? ([R] extends [never] ? v.InferOutput<S> | (undefined extends D ? undefined : never) : R) : never;
type ResolvedKeys = Exclude<keyof Settings, '$schema'>;
type Always = { [K in ResolvedKeys]: undefined extends ResolvedOf<K> ? never : K }[ResolvedKeys];
type Maybe = Exclude<ResolvedKeys, Always>;

/**
 * The config after loading, merging the command line and the environment and applying
 * defaults: sizes in bytes, paths absolute.
 */
export type ResolvedConfig = Simplify<
  {
    /** file the config came from, or undefined when built from arguments only */
    file?: string;
    /** directory names and relative paths are resolved from */
    baseDir: string;
    /** where `elements` came from (for "required by" in element errors) */
    elementsFrom?: 'config' | 'command line';
  } & { [K in Always]: ResolvedOf<K> } & { [K in Maybe]?: Exclude<ResolvedOf<K>, undefined> }
>;
