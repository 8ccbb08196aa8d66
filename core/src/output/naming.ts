/**
 * Output file names: `<outputBase>.<extension>`, as DIB names them.
 */
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { OutputFormat } from './types.js';

/** Path of an output for an absolute output base (`/x/image` → `/x/image.qcow2`): the format's extension. */
export function outputPath(outputBase: string, format: Pick<OutputFormat, 'extension'>): string {
  return `${outputBase}.${format.extension}`;
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
