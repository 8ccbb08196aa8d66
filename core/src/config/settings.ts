/**
 * The settings table: every config key dib knows, in one place (mkosi's `SETTINGS`, vite's
 * frozen `configDefaults`). Per key: the schema of its value (valibot), the default, the
 * command-line flag (DIB's disk-image-create spelling where DIB has one), the environment
 * variable DIB reads for it, and a one-line description.
 *
 * Everything else is derived from this table: the `DibConfig` and `ResolvedConfig` types
 * (schema.ts), the validator (validate.ts), precedence and defaults (resolve.ts), the
 * command-line options and every command's `--help` (cli/), shell completion, the JSON Schema
 * shipped as `schema.json` (json-schema.ts), `dib config` and the README's config table
 * (docs.ts; a test keeps the README equal to it).
 *
 * Precedence, for every setting: command line > config file key > environment variable >
 * the config's `env` map > default. A setting's own key is explicit, so it beats a variable
 * that happens to be exported (CI systems export IMAGE_NAME, ARCH, TMP_DIR for their own
 * purposes); variables from the environment beat the config's `env`, as DIB_* always have.
 */
import os from 'node:os';
import path from 'node:path';
import * as v from 'valibot';
import { defaultCacheDir } from '../cache/cache.js';
import { parseBlockDeviceConfig, PLUGINS } from '../disk/config.js';
import { isDibError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { OUTPUT_TYPE_NAME, OUTPUT_TYPES, type OutputType } from './output-types.js';
import { GiB, MiB, sizeBytes, sizeFromText, sizeProblem } from './sizes.js';

/** One entry of DIB's block-device YAML: a single-key map `{ plugin: { …params } }`. */
export type BlockDeviceEntry = Record<string, Record<string, unknown>>;
/** DIB's block-device configuration written as an object (a list of single-key maps). */
export type BlockDeviceConfig = BlockDeviceEntry[];

/** A command-line flag of a setting. */
export interface FlagSpec {
  /** long name without dashes (`image-size`) */
  long: string;
  /** one-letter DIB spelling (`a` for `-a`) */
  short?: string;
  /** the value's name in help (`SIZE`); absent for a switch */
  value?: string;
  /** may be given more than once; the values are collected */
  repeat?: boolean;
  /** command-line text (a string, a list when repeatable, `true` for a switch) → config value; throw FlagProblem for bad text */
  parse?: (raw: string | string[] | true) => unknown;
  /** what the shell completes for the value */
  complete?: 'file' | 'dir' | readonly string[];
  /** what the flag does, when it is not what the setting's doc says (a flag that turns a setting off) */
  doc?: string;
}

/** An environment variable DIB reads for a setting. */
export interface EnvSpec {
  /** the variable (for docs and messages; `DIB_*` for a family) */
  name: string;
  /** variable text → config value (default: the text); throw FlagProblem for bad text */
  parse?: (raw: string) => unknown;
  /** read the value from the environment (default: the variable `name`, unset when empty) */
  read?: (env: Readonly<Record<string, string | undefined>>) => unknown;
}

/** A problem with a value the schema accepts but the setting does not (block-device rules). */
export interface RefineProblem {
  /** key path below the setting (`[0].local_loop.size`), '' for the value itself */
  path: string;
  message: string;
  fix: string;
  code?: 'E_CONFIG_VALUE' | 'E_BLOCK_DEVICE_CONFIG';
}

/** What a resolver sees. */
export interface ResolveContext {
  /** directory relative paths of this value are resolved from: the config file's for file values, the current directory otherwise */
  dir: string;
  /** another setting's resolved value (resolved on demand) */
  get(key: string): unknown;
}

/** A default: a config value, or a function of the host giving one. */
export type DefaultOf<S extends v.GenericSchema> = v.InferOutput<S> | (() => v.InferOutput<S>);

export interface SettingSpec<S extends v.GenericSchema = v.GenericSchema, R = unknown> {
  /** schema of the value in a config file (and of what a flag or variable parses to) */
  schema: S;
  /** one line: what the setting does */
  doc: string;
  /** the type as the README and help show it */
  type: string;
  /** the default, as a config value or a function of the host; absent: unset */
  default?: DefaultOf<S>;
  /** the default as docs show it (required when `default` is a function or absent) */
  defaultText?: string;
  /** a valid value, written as in dib.config.ts (used in fixes) */
  example: string;
  /** the command-line flag */
  flag?: FlagSpec;
  /** the value is the command line's positional arguments */
  positional?: { value: string };
  /** the environment variable DIB reads for it */
  env?: EnvSpec;
  /** how DIB spells it, when neither flag nor variable says it all */
  dib?: string;
  /**
   * How values from several sources combine: `replace` (the highest source wins), `append`
   * (lists from every source, highest first), `assign` (maps merged, higher sources win per key).
   */
  merge?: 'replace' | 'append' | 'assign';
  /** required in `DibConfig` (the type), though it may come from the command line instead */
  required?: boolean;
  /** checks beyond the schema, with their own key paths (the block-device rules) */
  refine?(value: v.InferOutput<S>): RefineProblem | RefineProblem[] | undefined;
  /** JSON Schema to ship instead of the one derived from `schema` */
  jsonSchema?: Record<string, unknown>;
  /** the resolved value is a byte count (for display) */
  bytes?: boolean;
  /**
   * Where phase checkpoints key the value (pipeline/checkpoints-inputs.ts): absent, in every
   * checkpoint (any tap may read the config); `image`, only in the cached outputs' key (only
   * the image writing reads it); `none`, nowhere (it says where or how dib runs, not what it
   * makes, or it is keyed in another form: the elements' content, the build variables).
   */
  cacheKey?: 'image' | 'none';
  /** the value a build uses (`value` is undefined only when there is no default) */
  resolve?(value: v.InferOutput<S> | undefined, ctx: ResolveContext): R;
}

/** A table entry with what the types need to know kept literal: its default and whether it is required. */
export type Setting<S extends v.GenericSchema, R, D, Q extends boolean> = SettingSpec<S, R> & { readonly default: D; readonly required: Q; readonly resolved: R };

/** Thrown by a flag's or variable's `parse` for text that cannot be a value. */
export class FlagProblem extends Error {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super(message);
  }
}

/** A table entry; `R` is what `resolve` returns (never: no resolver, the value is used as it is). */
function setting<S extends v.GenericSchema, R = never, D extends DefaultOf<S> | undefined = undefined, Q extends boolean = false>(
  spec: SettingSpec<S, R> & { default?: D; required?: Q },
): Setting<S, R, D, Q> {
  return spec as Setting<S, R, D, Q>;
}

// ---------------------------------------------------------------------------------------
// value schemas and helpers

const name = (what: string) => v.pipe(v.string(`must be ${what}`), v.minLength(1, `must not be empty`));
const stringList = (what: string) => v.array(name(what), `must be a list of ${what}s`);
const sizeSchema = (unitName: 'GiB' | 'MiB') =>
  v.pipe(
    v.union([v.number(), v.string()], `must be a number of ${unitName} or a size string such as '4GiB'`),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const p = sizeProblem(dataset.value, unitName);
      if (p) addIssue({ message: p });
    }),
  );
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `-t qcow2,tar -t raw` → [qcow2, tar, raw]. */
export function commaList(raw: string | string[] | true, separators = /,/): string[] {
  const list = raw === true ? [] : Array.isArray(raw) ? raw : [raw];
  return list.flatMap((x) => x.split(separators)).map((s) => s.trim()).filter(Boolean);
}

const asText = (raw: string | string[] | true): string => (Array.isArray(raw) ? raw[raw.length - 1]! : raw === true ? '' : raw);
const sizeFlag = (raw: string | string[] | true) => sizeFromText(asText(raw));
const integerText = (raw: string): number | string => (/^\s*\d+\s*$/.test(raw) ? Number(raw) : raw);
const truthy = (raw: string) => raw !== '';
const absolute = (p: string, ctx: ResolveContext) => path.resolve(ctx.dir, p);

/** Host architecture in Debian's spelling (DIB: dpkg --print-architecture). */
export function hostArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'armhf', ppc64: 'ppc64el', s390x: 's390x', ia32: 'i386' };
  return map[process.arch] ?? process.arch;
}

/** The block-device rules are disk/config's parser's; this only reports its first complaint. */
function blockDeviceProblem(value: unknown): RefineProblem | undefined {
  const SOURCE = '\u0000';
  try {
    parseBlockDeviceConfig(value, SOURCE, '');
    return undefined;
  } catch (e) {
    if (!isDibError(e)) throw e;
    const text = e.message.startsWith(`${SOURCE}: `) ? e.message.slice(SOURCE.length + 2) : e.message;
    const m = /^(\S*): (.*)$/.exec(text);
    return { path: m ? m[1]! : '', message: m ? m[2]! : text, fix: e.hint ?? 'see DIB block-device configuration', code: 'E_BLOCK_DEVICE_CONFIG' };
  }
}

// ---------------------------------------------------------------------------------------
// the table (its order is the order of the docs and of --help)

export const SETTINGS = {
  $schema: setting({
    cacheKey: 'none',
    schema: v.string('must be a string (the path or URL of schema.json)'),
    doc: "the JSON Schema this file follows, for editors; dib ignores it",
    type: 'string',
    defaultText: '—',
    example: "'./node_modules/@dib/core/schema.json'",
  }),
  elements: setting({
    cacheKey: 'none',
    schema: stringList('element name'),
    doc: 'elements to build from: names, package names or paths',
    type: 'string[]',
    defaultText: '— (required)',
    example: "['vm', 'debian-minimal']",
    positional: { value: 'ELEMENT…' },
    dib: 'positional element names',
    required: true,
    default: [],
  }),
  elementsPath: setting({
    cacheKey: 'none',
    schema: stringList('directory'),
    doc: 'directories holding DIB elements, searched before the built-ins',
    type: 'string[]',
    default: [],
    example: "['./elements']",
    flag: { long: 'elements-path', value: 'DIRS', repeat: true, parse: (raw) => commaList(raw, /[:,]/), complete: 'dir' },
    env: { name: 'ELEMENTS_PATH', parse: (raw) => raw.split(':').filter(Boolean) },
    merge: 'append',
    resolve: (value, ctx) => (value ?? []).map((p) => absolute(p, ctx)),
  }),
  arch: setting({
    schema: name('an architecture (amd64, arm64, …)'),
    doc: 'target architecture',
    type: 'string',
    default: hostArch,
    defaultText: 'the host’s (`amd64`, `arm64`, …)',
    example: "'arm64'",
    flag: { long: 'arch', short: 'a', value: 'ARCH', complete: ['amd64', 'arm64', 'armhf', 'i386', 'ppc64el', 's390x'] },
    env: { name: 'ARCH' },
  }),
  name: setting({
    cacheKey: 'none',
    schema: name('a file name'),
    doc: 'output base name, relative to the config file (a trailing .TYPE is dropped with one type)',
    type: 'string',
    default: 'image',
    example: "'debian-bookworm'",
    flag: { long: 'output', short: 'o', value: 'NAME', complete: 'file' },
    env: { name: 'IMAGE_NAME' },
    resolve: (value, ctx) => {
      let n = value!;
      const types = ctx.get('types') as readonly string[];
      if (types.length === 1 && n.endsWith(`.${types[0]}`)) n = n.slice(0, -(types[0]!.length + 1));
      return path.resolve(ctx.dir, n);
    },
  }),
  types: setting({
    cacheKey: 'image',
    // open: elements add output formats (the output-format registry), so the names are
    // checked against the build's registry once its elements are applied (did-you-mean there)
    schema: v.pipe(
      v.array(
        v.pipe(v.string('must be an output type name'), v.regex(OUTPUT_TYPE_NAME, (i) => `'${String(i.input)}' is not an output type name (lower-case letters, digits, - and _)`)),
        `must be a list of output types (${OUTPUT_TYPES.join(', ')}, or one an element adds)`,
      ),
      v.minLength(1, `must name at least one output type (${OUTPUT_TYPES.join(', ')})`),
    ),
    doc: 'output types: the built-in ones, or one an element adds (such as `cpio`)',
    type: OUTPUT_TYPES.map((t) => `\`${t}\``).join('\\|') + ' … list',
    default: ['qcow2'] as OutputType[],
    example: "['qcow2', 'tar']",
    flag: { long: 'type', short: 't', value: 'TYPES', repeat: true, parse: (raw) => commaList(raw), complete: OUTPUT_TYPES },
    jsonSchema: {
      type: 'array',
      minItems: 1,
      items: { anyOf: [{ enum: [...OUTPUT_TYPES] }, { type: 'string', pattern: OUTPUT_TYPE_NAME.source }] },
      examples: [['qcow2'], ['qcow2', 'tar'], ['raw'], ['squashfs']],
    },
  }),
  packages: setting({
    schema: stringList('package name'),
    doc: 'extra packages installed after the install phase',
    type: 'string[]',
    default: [],
    example: "['openssh-server']",
    flag: { long: 'packages', short: 'p', value: 'PKGS', repeat: true, parse: (raw) => commaList(raw) },
    merge: 'append',
  }),
  env: setting({
    cacheKey: 'none',
    schema: v.record(v.string(), v.string('must be a string (quote numbers: "1")'), 'must be a map of NAME: "value" strings'),
    refine: (value) =>
      Object.keys(value)
        .filter((k) => !ENV_NAME.test(k))
        .map((k) => ({
          path: `.${k}`,
          message: `'${k}' is not a valid variable name (letters, digits and _, not starting with a digit)`,
          fix: `rename it${/^[0-9]/.test(k) ? ` (e.g. DIB_${k.replace(/[^A-Za-z0-9_]/g, '_')})` : `: ${k.replace(/[^A-Za-z0-9_]/g, '_')}`}`,
        })),
    doc: 'build variables (`DIB_*` and others), as if exported before disk-image-create',
    type: '`Record<string, string>`',
    default: {},
    example: "{ DIB_RELEASE: 'bookworm' }",
    flag: {
      long: 'env',
      short: 'e',
      value: 'NAME=VALUE',
      repeat: true,
      parse: (raw) => {
        const out: Record<string, string> = {};
        for (const kv of raw === true ? [] : Array.isArray(raw) ? raw : [raw]) {
          const i = kv.indexOf('=');
          if (i <= 0) throw new FlagProblem(`'${kv}' is not NAME=VALUE`, 'write --env DIB_RELEASE=bookworm');
          Object.defineProperty(out, kv.slice(0, i), { value: kv.slice(i + 1), enumerable: true, writable: true, configurable: true });
        }
        return out;
      },
    },
    env: {
      name: 'DIB_*',
      read: (penv) => {
        const out: Record<string, string> = {};
        for (const [k, x] of Object.entries(penv)) if (x !== undefined && (k.startsWith('DIB_') || k === 'ELEMENTS_PATH')) out[k] = x;
        return Object.keys(out).length ? out : undefined;
      },
    },
    dib: 'exported variables; `DIB_*` and `ELEMENTS_PATH` are taken from the environment',
    merge: 'assign',
  }),
  imageSize: setting({
    cacheKey: 'image',
    schema: sizeSchema('GiB'),
    doc: 'image size: a number of GiB or a size with a unit',
    type: "number (GiB) \\| string (`'4GiB'`)",
    defaultText: 'from the tree, with headroom',
    example: "'4GiB'",
    flag: { long: 'image-size', value: 'SIZE', parse: sizeFlag },
    env: { name: 'DIB_IMAGE_SIZE', parse: sizeFromText },
    bytes: true,
    resolve: (value) => (value === undefined ? undefined : sizeBytes(value, GiB)),
  }),
  imageExtraSize: setting({
    cacheKey: 'image',
    schema: sizeSchema('MiB'),
    doc: 'free space added to the root filesystem’s content instead of the default headroom: MiB, or a size with a unit',
    type: "number (MiB) \\| string (`'1GiB'`)",
    defaultText: '— (the default headroom)',
    example: "'1GiB'",
    flag: { long: 'image-extra-size', value: 'SIZE', parse: sizeFlag },
    env: { name: 'DIB_IMAGE_EXTRA_SIZE', parse: sizeFromText },
    bytes: true,
    resolve: (value) => (value === undefined ? undefined : sizeBytes(value, MiB)),
  }),
  cacheDir: setting({
    cacheKey: 'none',
    schema: name('a directory'),
    doc: 'cache directory for downloads and bootstrapped roots',
    type: 'string',
    default: defaultCacheDir,
    defaultText: '`~/.cache/dib`',
    example: "'/var/cache/dib'",
    flag: { long: 'image-cache', value: 'DIR', complete: 'dir' },
    env: { name: 'DIB_IMAGE_CACHE' },
    resolve: (value, ctx) => absolute(value!, ctx),
  }),
  rootLabel: setting({
    schema: name('a filesystem label'),
    doc: 'label of the root filesystem',
    type: 'string',
    defaultText: '`cloudimg-rootfs` (xfs: `img-rootfs`)',
    example: "'rootfs'",
    flag: { long: 'root-label', value: 'LABEL' },
  }),
  fsType: setting({
    schema: name('a filesystem type (ext4, ext3, ext2)'),
    doc: 'root filesystem type',
    type: 'string',
    default: 'ext4',
    example: "'ext4'",
    flag: { long: 'fs-type', value: 'TYPE', complete: ['ext4', 'ext3', 'ext2', 'xfs'] },
    env: { name: 'FS_TYPE' },
  }),
  mkfsOptions: setting({
    schema: v.string('must be a string of mkfs options'),
    doc: 'extra mkfs options for the root filesystem, split on blanks',
    type: 'string',
    defaultText: '—',
    example: "'-m 1'",
    flag: { long: 'mkfs-options', value: 'OPTS' },
    dib: '`--mkfs-options` (`MKFS_OPTS` from the environment is ignored, as by DIB)',
  }),
  mkfsJournalSize: setting({
    schema: v.pipe(
      sizeSchema('MiB'),
      v.check((x) => sizeProblem(x, 'MiB') !== undefined || sizeBytes(x, MiB) % MiB === 0, 'must be a whole number of MiB'),
    ),
    doc: 'journal size of an ext4 root filesystem: MiB, or a size with a unit',
    type: "number (MiB) \\| string",
    defaultText: '64 (MiB)',
    example: '64',
    flag: { long: 'mkfs-journal-size', value: 'MIB', parse: sizeFlag },
    env: { name: 'DIB_JOURNAL_SIZE', parse: sizeFromText },
    bytes: true,
    resolve: (value) => (value === undefined ? undefined : sizeBytes(value, MiB)),
  }),
  maxOnlineResize: setting({
    schema: v.pipe(v.number('must be a number of filesystem blocks'), v.integer('must be a whole number of blocks'), v.minValue(1, 'must be at least 1')),
    doc: 'most filesystem blocks the root filesystem can be grown to while mounted (mkfs `-E resize=N`)',
    type: 'number (blocks)',
    defaultText: '— (mkfs’s default)',
    example: '274877906944',
    flag: { long: 'max-online-resize', value: 'BLOCKS', parse: (raw) => integerText(asText(raw)) },
    env: { name: 'MAX_ONLINE_RESIZE', parse: integerText },
  }),
  qemuImgOptions: setting({
    cacheKey: 'image',
    schema: v.pipe(v.string('must be a string of qemu-img -o options'), v.regex(/^[^\s]*$/, "must be comma-separated key=value pairs without blanks (e.g. 'compat=1.1,cluster_size=131072')")),
    doc: 'options for `qemu-img convert -o` (qcow2): comma-separated key=value',
    type: 'string',
    defaultText: '—',
    example: "'compat=0.10'",
    flag: { long: 'qemu-img-options', value: 'OPTS' },
    env: { name: 'QEMU_IMG_OPTIONS' },
  }),
  qcow2Compression: setting({
    cacheKey: 'image',
    schema: v.picklist(['zstd', 'zlib'], "must be 'zstd' or 'zlib'"),
    doc: 'compression of a compressed qcow2: `zstd` (fast; readers need QEMU 5.1 or newer) or `zlib` (what every qcow2 reader takes)',
    type: "`'zstd'`\\|`'zlib'`",
    default: 'zstd',
    example: "'zlib'",
    flag: { long: 'qcow2-compression', value: 'zlib|zstd', complete: ['zstd', 'zlib'] },
  }),
  sourceDateEpoch: setting({
    schema: v.pipe(
      v.number('must be a number of seconds since 1970-01-01 UTC (SOURCE_DATE_EPOCH)'),
      v.integer('must be a whole number of seconds'),
      v.minValue(0, 'must not be before 1970'),
      v.maxValue(4294967295, 'must fit the 32-bit timestamps of squashfs and VHD (before 2106)'),
    ),
    doc: 'reproducible output: every timestamp in the image, its filesystems, archives and partition tables is clamped to this time (seconds since 1970), build-time noise is removed from the tree, and chroot scripts see it as SOURCE_DATE_EPOCH',
    type: 'number (seconds)',
    defaultText: '— (build-time timestamps)',
    example: '1717171717',
    flag: { long: 'source-date-epoch', value: 'SECONDS', parse: (raw) => integerText(asText(raw)) },
    env: { name: 'SOURCE_DATE_EPOCH', parse: integerText },
  }),
  seed: setting({
    schema: name('a seed (any text)'),
    doc: 'what every identifier dib chooses is derived from: filesystem UUIDs, volume ids, the disk and partition GUIDs, ext4 hash seeds (a UUID set in the block-device config still wins)',
    type: 'string',
    defaultText: 'derived from the config and the element versions',
    example: "'release-2024-06'",
    flag: { long: 'seed', value: 'SEED' },
  }),
  installType: setting({
    schema: name('an install type (source, package)'),
    doc: 'default install type of elements with install-type alternatives',
    type: 'string',
    default: 'source',
    example: "'package'",
    flag: { long: 'install-type', value: 'TYPE', complete: ['source', 'package'] },
    env: { name: 'DIB_DEFAULT_INSTALLTYPE' },
  }),
  blockDevice: setting({
    // the rules are disk/config's parser's (refine below); the schema only gives the type
    schema: v.custom<BlockDeviceConfig>(() => true),
    doc: 'block-device layout in DIB’s schema; overrides the elements’ default layout',
    type: 'DIB block-device YAML as an array',
    defaultText: 'the block-device element’s',
    example: "[{ local_loop: { name: 'image0', mkfs: { name: 'mkfs_root', mount: { mount_point: '/' } } } }]",
    dib: '`DIB_BLOCK_DEVICE_CONFIG` (still read from the build environment when this is unset)',
    refine: (value) => blockDeviceProblem(value),
    jsonSchema: {
      type: 'array',
      minItems: 1,
      items: { type: 'object', minProperties: 1, maxProperties: 1, propertyNames: { enum: [...PLUGINS] }, additionalProperties: { type: ['object', 'null'] } },
    },
  }),
  checksum: setting({
    cacheKey: 'image',
    schema: v.boolean('must be true or false'),
    doc: 'write `.md5` and `.sha256` files next to each image',
    type: 'boolean',
    default: false,
    example: 'true',
    flag: { long: 'checksum' },
    // DIB 3.13 takes "1"; later DIB any value naming md5 or sha256. dib writes both either way.
    env: {
      name: 'DIB_CHECKSUM',
      parse: (raw) => {
        if (raw === '1' || /md5|sha256/.test(raw)) return true;
        if (raw === '0' || raw === '') return false;
        throw new FlagProblem(`'${raw}' is not 1, 0, md5 or sha256`, 'export DIB_CHECKSUM=1 (or unset it)');
      },
    },
  }),
  compress: setting({
    cacheKey: 'image',
    schema: v.boolean('must be true or false'),
    doc: 'compress qcow2 output',
    type: 'boolean',
    default: true,
    example: 'false',
    flag: { long: 'uncompressed', short: 'u', parse: () => false, doc: 'do not compress qcow2 output (compress: false)' },
    dib: '`-u` turns it off',
  }),
  skipBase: setting({
    schema: v.boolean('must be true or false'),
    doc: 'do not add the `base` element',
    type: 'boolean',
    default: false,
    example: 'true',
    flag: { long: 'skip-base', short: 'n' },
  }),
  offline: setting({
    cacheKey: 'none',
    schema: v.boolean('must be true or false'),
    doc: 'use only cached downloads',
    type: 'boolean',
    default: false,
    example: 'true',
    flag: { long: 'offline' },
    env: { name: 'DIB_OFFLINE', parse: truthy },
  }),
  noCache: setting({
    cacheKey: 'none',
    schema: v.boolean('must be true or false'),
    doc: 'ignore phase checkpoints and cached outputs: run every phase, store none (cached roots and packages are still used)',
    type: 'boolean',
    default: false,
    example: 'true',
    flag: { long: 'no-cache' },
    env: { name: 'DIB_NO_CACHE', parse: truthy },
  }),
  refresh: setting({
    cacheKey: 'none',
    schema: v.boolean('must be true or false'),
    doc: 'make cached roots, phase checkpoints and outputs again (use none, store new ones)',
    type: 'boolean',
    default: false,
    example: 'true',
    flag: { long: 'refresh' },
  }),
  logfile: setting({
    cacheKey: 'none',
    schema: name('a file name'),
    doc: 'append the timestamped log to this file',
    type: 'string',
    defaultText: '—',
    example: "'build.log'",
    flag: { long: 'logfile', value: 'FILE', complete: 'file' },
  }),
  workDir: setting({
    cacheKey: 'none',
    schema: name('a directory'),
    doc: 'where build directories are made',
    type: 'string',
    default: os.tmpdir,
    defaultText: 'the OS temp dir',
    example: "'/var/tmp'",
    flag: { long: 'work-dir', value: 'DIR', complete: 'dir' },
    env: { name: 'TMP_DIR' },
    resolve: (value, ctx) => absolute(value!, ctx),
  }),
  tapTimeout: setting({
    schema: v.pipe(v.number('must be a number of seconds'), v.finite('must be a finite number of seconds'), v.gtValue(0, 'must be more than 0 seconds')),
    doc: 'fail any tap (a TypeScript tap or a DIB script) that runs longer than this, naming it',
    type: 'number (seconds)',
    defaultText: '— (no limit)',
    example: '1800',
    flag: { long: 'tap-timeout', value: 'SECONDS', parse: (raw) => (/^\s*\d+(\.\d+)?\s*$/.test(asText(raw)) ? Number(asText(raw)) : asText(raw)) },
  }),
};

export type Settings = typeof SETTINGS;
export type SettingKey = keyof Settings;

/** Own-key lookup (never the prototype: `constructor` is not a setting). */
export function settingOf(key: string): SettingSpec | undefined {
  return Object.hasOwn(SETTINGS, key) ? (SETTINGS as Record<string, SettingSpec>)[key] : undefined;
}

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];

/** The value a setting gets when nothing sets it (functions of the host are called). */
export function defaultOf(s: SettingSpec): unknown {
  return typeof s.default === 'function' ? (s.default as () => unknown)() : s.default;
}

/** The static defaults (vite's configDefaults): settings whose default does not depend on the host. */
export const configDefaults: Readonly<Record<string, unknown>> = Object.freeze(
  Object.fromEntries(
    Object.entries(SETTINGS as Record<string, SettingSpec>)
      .filter(([, s]) => s.default !== undefined && typeof s.default !== 'function')
      .map(([k, s]) => [k, Object.freeze(structuredClone(s.default))]),
  ),
);
