/**
 * Types of the output writers (`writeOutputs`).
 */
import type { CommandRunner, Logger } from '../vocabulary.js';
import type { OutputType } from '../config/schema.js';
import type { HostTool } from '../vocabulary.js';

export type { OutputType };

/** Compression used for squashfs outputs. */
export type SquashfsCompression = 'xz' | 'zstd';

/** Where outputs are staged to be committed together (OutputSet). */
export interface OutputStager {
  /** a path to write `dest` to; it appears at `dest` when the set is committed */
  stage(dest: string): Promise<string>;
  /** remove `file` when the set is committed */
  removeOnCommit(file: string): void;
}

export interface WriteOutputsOptions {
  /**
   * stage every file in this set instead of renaming each into place as soon as it is done
   * (the build commits its outputs, manifests and report together at the end)
   */
  set?: OutputStager;
  /** output types to write; duplicates are ignored, order is kept in the result */
  types: readonly OutputType[];
  /** absolute output base name (IMAGE_NAME), e.g. `/x/image` → `/x/image.qcow2` */
  outputBase: string;
  /** the finished image tree (needed for tar, tgz, squashfs) */
  treeDir?: string;
  /** the assembled raw disk (or filesystem) image (needed for raw, qcow2, vhd) */
  rawImage?: string;
  /** compress qcow2 (`qemu-img convert -c`) */
  compress: boolean;
  /** write `<file>.md5` and `<file>.sha256` next to each output */
  checksum: boolean;
  /** `qemu-img convert -o` options for qcow2 (`--qemu-img-options`), e.g. `compat=0.10` */
  qemuImgOptions?: string;
  /** squashfs compressor; default `xz` (every kernel with squashfs reads it) */
  squashfsCompression?: SquashfsCompression;
  /**
   * Keep `rawImage` where it is: the raw output is then always a copy. By default the raw
   * image is moved into place when raw is its last consumer (as DIB does).
   */
  keepRawImage?: boolean;
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
