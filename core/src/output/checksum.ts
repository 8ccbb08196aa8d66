/**
 * Streaming hashes of outputs and checksum files in coreutils format (`<hex>  <basename>`),
 * so `sha256sum -c image.qcow2.sha256` works from the output's directory.
 */
import { basename } from 'node:path';

export { hashFile, type FileHashes } from '../util/file-hash.js';

/** One line of `md5sum`/`sha256sum` output for `file` (text mode: two spaces). */
export function checksumLine(hex: string, file: string): string {
  const name = basename(file);
  // coreutils escapes names holding a backslash or newline and marks the line with `\`.
  if (/[\\\n\r]/.test(name)) {
    const escaped = name.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
    return `\\${hex}  ${escaped}\n`;
  }
  return `${hex}  ${name}\n`;
}
