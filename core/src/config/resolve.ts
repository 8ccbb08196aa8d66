/**
 * Merge defaults, the config file and command-line overrides into a ResolvedConfig.
 */
import os from 'node:os';
import path from 'node:path';
import { DibError } from '../errors.js';
import { defaultCacheDir } from '../cache/cache.js';
import type { DibConfig, OutputType, ResolvedConfig } from './schema.js';
import { imageSizeBytes } from './sizes.js';
import { loadConfigFile } from './load.js';
import { validateConfig } from './validate.js';

/** Host architecture in Debian's spelling (DIB: dpkg --print-architecture). */
export function hostArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'armhf', ppc64: 'ppc64el', s390x: 's390x', ia32: 'i386' };
  return map[process.arch] ?? process.arch;
}

export interface ResolveOptions {
  /** directory to search for a config, and base of relative paths without one */
  cwd: string;
  /** `--config PATH` */
  configPath?: string;
  /** values from the command line; they override the file */
  overrides?: Partial<DibConfig>;
  /** the process environment (DIB_* and ELEMENTS_PATH are taken from it) */
  processEnv?: NodeJS.ProcessEnv;
  /** false: a config without elements is fine (dib plan for a file without elements fails later) */
  requireElements?: boolean;
}

function pick<T>(...values: Array<T | undefined>): T | undefined {
  return values.find((v) => v !== undefined);
}

export async function resolveConfig(opts: ResolveOptions): Promise<ResolvedConfig> {
  const penv = opts.processEnv ?? process.env;
  const loaded = await loadConfigFile({ configPath: opts.configPath, dir: opts.cwd });
  const file = loaded?.config ?? {};
  const cli = validateConfig(Object.fromEntries(Object.entries(opts.overrides ?? {}).filter(([, v]) => v !== undefined)), 'command line');
  const baseDir = loaded ? path.dirname(loaded.file) : opts.cwd;
  const elements = cli.elements && cli.elements.length ? cli.elements : (file.elements ?? []);
  if (opts.requireElements !== false && elements.length === 0) {
    throw new DibError('E_USAGE', loaded ? `${path.basename(loaded.file)}: no elements to build` : 'no elements given and no dib config found in ' + opts.cwd, {
      hint: loaded ? "add `elements: ['vm', 'debian-minimal']` to the config" : "name elements (dib build vm debian-minimal) or create a config with 'dib init'",
    });
  }
  const types = (pick(cli.types, file.types) ?? ['qcow2']) as OutputType[];
  let name = pick(cli.name, file.name) ?? 'image';
  if (types.length === 1 && name.endsWith(`.${types[0]}`)) name = name.slice(0, -(types[0]!.length + 1));
  const envPath = (penv.ELEMENTS_PATH ?? '').split(':').filter(Boolean);
  const fileElementsPath = (file.elementsPath ?? []).map((p) => path.resolve(baseDir, p));
  const cliElementsPath = (cli.elementsPath ?? []).map((p) => path.resolve(opts.cwd, p));
  const env: Record<string, string> = { ...(file.env ?? {}) };
  for (const [k, v] of Object.entries(penv)) {
    if (v !== undefined && (k.startsWith('DIB_') || k === 'ELEMENTS_PATH')) env[k] = v;
  }
  Object.assign(env, cli.env ?? {});
  const size = pick(cli.imageSize, file.imageSize);
  const cacheDir = pick(cli.cacheDir, file.cacheDir) ?? penv.DIB_IMAGE_CACHE;
  return {
    file: loaded?.file,
    baseDir,
    elements,
    elementsPath: [...cliElementsPath, ...fileElementsPath, ...envPath.map((p) => path.resolve(opts.cwd, p))],
    arch: pick(cli.arch, file.arch) ?? hostArch(),
    name: path.resolve(cli.name !== undefined ? opts.cwd : baseDir, name),
    types,
    packages: [...(file.packages ?? []), ...(cli.packages ?? [])],
    env,
    imageSize: size === undefined ? undefined : imageSizeBytes(size),
    cacheDir: path.resolve(baseDir, cacheDir ?? defaultCacheDir()),
    rootLabel: pick(cli.rootLabel, file.rootLabel),
    fsType: pick(cli.fsType, file.fsType) ?? penv.FS_TYPE ?? 'ext4',
    mkfsOptions: pick(cli.mkfsOptions, file.mkfsOptions),
    installType: pick(cli.installType, file.installType) ?? penv.DIB_DEFAULT_INSTALLTYPE ?? 'source',
    blockDevice: pick(cli.blockDevice, file.blockDevice),
    checksum: pick(cli.checksum, file.checksum) ?? false,
    compress: pick(cli.compress, file.compress) ?? true,
    skipBase: pick(cli.skipBase, file.skipBase) ?? false,
    offline: pick(cli.offline, file.offline) ?? (penv.DIB_OFFLINE ? true : false),
    logfile: pick(cli.logfile, file.logfile),
    workDir: path.resolve(baseDir, pick(cli.workDir, file.workDir) ?? penv.TMP_DIR ?? os.tmpdir()),
    tapTimeout: pick(cli.tapTimeout, file.tapTimeout),
  };
}
