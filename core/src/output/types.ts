/**
 * Output formats and the types of the output writers (`writeOutputs`). An output format is one
 * entry of the output-format registry (mkosi's `OutputFormat`): its type name, file extension,
 * what it is made from (the image tree or the assembled disk), the host tools it runs, and its
 * writer. The built-in ones are in formats.ts; elements add their own through the core-owned
 * output hooks (`getOutputHooks(build).formats`). Public API.
 */
import type { CommandRunner, Env, HostTool, Logger } from '../vocabulary.js';
import type { IdSource } from '../disk/ids.js';
import type { OutputType } from '../config/output-types.js';

export type { OutputType };

/** Compression used for squashfs outputs. */
export type SquashfsCompression = 'xz' | 'zstd';
/** Compression of a compressed qcow2. */
export type Qcow2Compression = 'zstd' | 'zlib';

/** The settings output writers read (from the build's config). */
export interface OutputOptions {
  /** compress qcow2 (`qemu-img convert -c`; `-u` turns it off) */
  compress: boolean;
  /** the qcow2 compression type; default `zstd` */
  qcow2Compression?: Qcow2Compression;
  /** `qemu-img convert -o` options for qcow2 (`--qemu-img-options`), e.g. `compat=0.10` */
  qemuImgOptions?: string;
  /** squashfs compressor; default `xz` (every kernel with squashfs reads it) */
  squashfsCompression?: SquashfsCompression;
}

/** What a writer is given to write one output. */
export interface OutputJob {
  /** the output type being written */
  readonly type: string;
  /** write the output here: a temporary path next to the destination (it does not exist yet) */
  readonly file: string;
  /** `from: 'tree'` formats: the finished image tree (read it, never change it) */
  readonly tree?: string;
  /** `from: 'disk'` formats: the assembled disk image (read it, never change it) */
  readonly disk?: string;
  /** directories of the tree, relative and without `./`, whose contents stay out (proc, sys, mounted pseudo filesystems) */
  readonly excludeContents: readonly string[];
  /**
   * Reproducible output is asked for: every timestamp the writer stores is clamped to this
   * (SOURCE_DATE_EPOCH, seconds). The tree's own times are already clamped.
   */
  readonly sourceDateEpoch?: number;
  /** identifiers a writer chooses (a VHD's UUID, a volume id) come from here: the build's seed */
  readonly ids: IdSource;
  readonly options: Readonly<OutputOptions>;
  /** the build environment (an element's writer reads its own DIB_* variables here) */
  readonly env: Readonly<Env>;
  readonly run: CommandRunner;
  readonly log: Logger;
  readonly signal?: AbortSignal;
  /** progress of the write in percent (shown as "<type> conversion") */
  progress(percent: number): void;
  /**
   * For formats with `takesDisk`: when the caller allows it, move the disk image to `file`
   * instead of copying it (it is then no longer at `disk`); resolves true when it was moved.
   */
  takeDisk(): Promise<boolean>;
}

/** One output format of the registry. */
export interface OutputFormat {
  /** the name given to `-t` / `types` (lower case: letters, digits, `-`, `_`) */
  readonly type: string;
  /** the output file is `<name>.<extension>` (DIB's: squashfs is `.squash`) */
  readonly extension: string;
  /** made from the finished image tree, or from the assembled disk image (the layout's filesystems in their partitions) */
  readonly from: 'tree' | 'disk';
  /** one line for `dib help` and the docs */
  readonly description: string;
  /** host programs the writer runs, for `dib doctor` and the pre-flight check */
  readonly hostTools?: readonly HostTool[];
  /**
   * What writing it mostly costs: `cpu` (a compressor) or `io` (copying bytes). One output of
   * each kind is written at a time, side by side; the default is `io`.
   */
  readonly load?: 'cpu' | 'io' | ((options: Readonly<OutputOptions>) => 'cpu' | 'io');
  /** written after every other output made from the disk, and may take the disk itself (raw) */
  readonly takesDisk?: boolean;
  /**
   * Checks before any work (the pre-flight): throw a DibError naming what is missing, e.g. a
   * host tool too old for the options asked for.
   */
  preflight?(ctx: { options: Readonly<OutputOptions>; run: CommandRunner; log: Logger }): Promise<void>;
  /** Write the output to `job.file` (the caller renames it into place when it is complete). */
  write(job: OutputJob): Promise<void>;
}

/** Where outputs are staged to be committed together (OutputSet). */
export interface OutputStager {
  /** a path to write `dest` to; it appears at `dest` when the set is committed */
  stage(dest: string): Promise<string>;
  /** remove `file` when the set is committed */
  removeOnCommit(file: string): void;
}

export interface WriteOutputsOptions extends OutputOptions {
  /**
   * stage every file in this set instead of renaming each into place as soon as it is done
   * (the build commits its outputs, manifests and report together at the end)
   */
  set?: OutputStager;
  /**
   * output formats to write, in the order of the result (duplicates are ignored); or type
   * names, looked up among the built-in formats
   */
  formats: ReadonlyArray<OutputFormat | string>;
  /** absolute output base name (IMAGE_NAME), e.g. `/x/image` → `/x/image.qcow2` */
  outputBase: string;
  /** the finished image tree (needed for tree formats) */
  treeDir?: string;
  /** the assembled raw disk (or filesystem) image (needed for disk formats) */
  rawImage?: string;
  /** write `<file>.md5` and `<file>.sha256` next to each output */
  checksum: boolean;
  /** clamp every timestamp to SOURCE_DATE_EPOCH (reproducible output) */
  sourceDateEpoch?: number;
  /** identifiers writers choose; default: random */
  ids?: IdSource;
  /** the build environment, for element writers */
  env?: Readonly<Env>;
  /**
   * Keep `rawImage` where it is: the raw output is then always a copy. By default the raw
   * image is moved into place when raw is its last consumer (as DIB does).
   */
  keepRawImage?: boolean;
  /** write outputs one at a time (default: a compressor beside a copier) */
  sequential?: boolean;
  run: CommandRunner;
  log: Logger;
  /** conversion progress (qcow2, vhd: `qemu-img convert -p`), in percent */
  onProgress?: (label: string, percent: number) => void;
  signal?: AbortSignal;
}

/** One written output, for the build report. */
export interface OutputFile {
  /** absolute path of the output */
  path: string;
  format: OutputType;
  /** size in bytes (apparent size) */
  bytes: number;
  /** hex sha256 of the file's content */
  sha256: string;
  /** checksum files written beside it (`--checksum`) */
  checksumFiles?: string[];
}

/** A host program an output type needs (`dib doctor`); same shape as an element's host tool. */
export interface OutputHostTool extends HostTool {
  /** why it is needed, e.g. `qcow2 output` */
  why: string;
}
