/**
 * Streaming hashes of outputs and checksum files in coreutils format (`<hex>  <basename>`),
 * so `sha256sum -c image.qcow2.sha256` works from the output's directory.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';

export interface FileHashes {
  sha256: string;
  md5?: string;
  bytes: number;
}

/** Hash a file in one streaming pass: sha256 always, md5 when asked. */
export async function hashFile(path: string, opts: { md5?: boolean; signal?: AbortSignal } = {}): Promise<FileHashes> {
  const sha = createHash('sha256');
  const md5 = opts.md5 ? createHash('md5') : undefined;
  let bytes = 0;
  const stream = createReadStream(path, { highWaterMark: 1024 * 1024, signal: opts.signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    sha.update(chunk);
    md5?.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: sha.digest('hex'), ...(md5 ? { md5: md5.digest('hex') } : {}), bytes };
}

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
