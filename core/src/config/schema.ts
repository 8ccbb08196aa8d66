/**
 * The config schema: what `dib.config.ts` (or `.dibrc*`, `package.json#dib`) may hold.
 * This is public API: keep it small, documented and stable.
 */

/** One entry of DIB's block-device YAML: a single-key map `{ plugin: { …params } }`. */
export type BlockDeviceEntry = Record<string, Record<string, unknown>>;
/** DIB's block-device configuration (reference §6.2) written as an object. */
export type BlockDeviceConfig = BlockDeviceEntry[];

/** Output types dib can write (`-t`). */
export const OUTPUT_TYPES = ['raw', 'qcow2', 'vhd', 'tar', 'tgz', 'squashfs'] as const;
export type OutputType = (typeof OUTPUT_TYPES)[number];

export interface DibConfig {
  /** Elements to build from (names, package names or paths), as `disk-image-create` takes them. */
  elements: string[];
  /** Extra directories holding DIB-style elements; searched before ELEMENTS_PATH. */
  elementsPath?: string[];
  /** Target architecture (`-a`): amd64, arm64, … Default: the host's. */
  arch?: string;
  /** Output base name (`-o`), relative to the config file's directory. Default `image`. */
  name?: string;
  /** Output types (`-t`). Default `['qcow2']`. */
  types?: OutputType[];
  /** Extra packages installed after the install phase (`-p`). */
  packages?: string[];
  /** Build environment: `DIB_*` and other variables, as if exported before disk-image-create. */
  env?: Record<string, string>;
  /** Image size (`--image-size`): a number of GiB or a size string such as `'4GiB'`. Default: from the tree. */
  imageSize?: number | string;
  /** Cache directory (`--image-cache`). Default `~/.cache/dib`. */
  cacheDir?: string;
  /** Label of the root filesystem (`--root-label`). Default `cloudimg-rootfs` (xfs: `img-rootfs`). */
  rootLabel?: string;
  /** Root filesystem type (`FS_TYPE`). Default `ext4`. */
  fsType?: string;
  /** Extra mkfs options for the root filesystem (`--mkfs-options`). */
  mkfsOptions?: string;
  /** Default install type (`--install-type`). Default `source`. */
  installType?: string;
  /** Block-device layout in DIB's schema; overrides any element's default layout. */
  blockDevice?: BlockDeviceConfig;
  /** Write `.md5` and `.sha256` next to each image (`--checksum`). */
  checksum?: boolean;
  /** Compress qcow2 output (default true; `-u` turns it off). */
  compress?: boolean;
  /** Do not add the `base` element (`-n`). */
  skipBase?: boolean;
  /** Use only cached downloads (`--offline`). */
  offline?: boolean;
  /** Append the log to this file (`--logfile`). */
  logfile?: string;
  /** Where build directories are created (`TMP_DIR`). Default the OS temp dir. */
  workDir?: string;
  /** Fail any tap (TypeScript or DIB script) that runs longer than this many seconds, naming it. Default: no limit. */
  tapTimeout?: number;
}

/** Identity function that gives `dib.config.ts` its types. */
export function defineConfig(config: DibConfig): DibConfig {
  return config;
}

/** The config after loading, merging CLI flags and applying defaults. */
export interface ResolvedConfig {
  /** file the config came from, or undefined when built from arguments only */
  file?: string;
  /** directory names and relative paths are resolved from */
  baseDir: string;
  elements: string[];
  elementsPath: string[];
  arch: string;
  name: string;
  types: OutputType[];
  packages: string[];
  env: Record<string, string>;
  /** image size in bytes, when set */
  imageSize?: number;
  cacheDir: string;
  rootLabel?: string;
  fsType: string;
  mkfsOptions?: string;
  installType: string;
  blockDevice?: BlockDeviceConfig;
  checksum: boolean;
  compress: boolean;
  skipBase: boolean;
  offline: boolean;
  logfile?: string;
  workDir: string;
  /** seconds; undefined: no limit */
  tapTimeout?: number;
}
