/** Streaming hashes of a file (outputs, cache entries). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

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

