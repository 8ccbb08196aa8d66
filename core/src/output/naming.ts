/**
 * Output file names: `<outputBase>.<ext>`, as DIB names them.
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { OutputType } from './types.js';

/** File extension of each output type (DIB's: squashfs is written as `.squash`). */
export const OUTPUT_EXTENSIONS: Readonly<Record<OutputType, string>> = Object.freeze({
  raw: 'raw',
  qcow2: 'qcow2',
  vhd: 'vhd',
  tar: 'tar',
  tgz: 'tgz',
  squashfs: 'squash',
});

/** Path of the output of `type` for an absolute output base (`/x/image` → `/x/image.qcow2`). */
export function outputPath(outputBase: string, type: OutputType): string {
  return `${outputBase}.${OUTPUT_EXTENSIONS[type]}`;
}

/** Names of the checksum files written beside an output. */
export function checksumPaths(path: string): { md5: string; sha256: string } {
  return { md5: `${path}.md5`, sha256: `${path}.sha256` };
}

/** Marker in temporary names, so leftovers are recognisable (`.image.qcow2.dib-tmp-…`). */
export const TEMP_MARKER = '.dib-tmp-';

/**
 * A temporary name in the destination's own directory (so the final rename is atomic):
 * `/x/.image.qcow2.dib-tmp-<pid>-<random>`.
 */
export function tempPathFor(dest: string): string {
  return join(dirname(dest), `.${basename(dest)}${TEMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** True for names made by {@link tempPathFor}. */
export function isTempName(name: string): boolean {
  return basename(name).startsWith('.') && basename(name).includes(TEMP_MARKER);
}

/** Remove duplicates, keep the first occurrence's position. */
export function uniqueTypes(types: readonly OutputType[]): OutputType[] {
  return [...new Set(types)];
}
