/**
 * Reading exact byte counts from a stream (an archive, a pipe from tar or gunzip) without
 * holding more than one chunk: `read(n)` for headers, `each(n, fn)` for contents.
 */
import { open } from 'node:fs/promises';

export class StreamReader {
  private readonly it: AsyncIterator<Buffer>;
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  /** bytes consumed so far (the offset of the next byte) */
  offset = 0;

  constructor(source: AsyncIterable<Buffer | string> | Iterable<Buffer>) {
    const inner: AsyncIterator<Buffer | string> | Iterator<Buffer> = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
    this.it = {
      next: async () => {
        const r = await inner.next();
        return r.done ? r : { done: false, value: typeof r.value === 'string' ? Buffer.from(r.value) : r.value };
      },
    };
  }

  private async fill(n: number): Promise<void> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else if (r.value.length) this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    }
  }

  /** Up to `n` bytes (fewer only at the end of the stream). */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    this.offset += out.length;
    return out;
  }

  /** Pass the next `n` bytes to `fn` chunk by chunk; returns how many there were. */
  async each(n: number, fn: (chunk: Buffer) => void): Promise<number> {
    let left = n;
    while (left > 0) {
      if (!this.buf.length) await this.fill(1);
      if (!this.buf.length) break;
      const take = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(take.length);
      this.offset += take.length;
      left -= take.length;
      fn(take);
    }
    return n - left;
  }
}

/** Feed `n` zero bytes to `fn` (holes of sparse files) in bounded chunks. */
export function zeros(n: number, fn: (chunk: Buffer) => void): void {
  const block = Buffer.alloc(Math.min(n, 1 << 20));
  for (let left = n; left > 0; left -= block.length) fn(left >= block.length ? block : block.subarray(0, left));
}

/** Random access to a byte range of a file (a filesystem inside a disk image). */
export interface ByteSource {
  /** `length` bytes at `offset` from the start of the range; fewer only past its end */
  read(offset: number, length: number): Promise<Buffer>;
  readonly size: number;
}

/** A file, or the part of it from `base` on (`length` bytes), as a ByteSource. */
export async function openByteSource(file: string, base = 0, length?: number): Promise<ByteSource & { close(): Promise<void> }> {
  const fh = await open(file, 'r');
  const size = length ?? (await fh.stat()).size - base;
  return {
    size,
    async read(offset, len) {
      const n = Math.max(0, Math.min(len, size - offset));
      const buf = Buffer.alloc(n);
      let got = 0;
      while (got < n) {
        const { bytesRead } = await fh.read(buf, got, n - got, base + offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === n ? buf : buf.subarray(0, got);
    },
    close: () => fh.close(),
  };
}
