/**
 * A small ustar/pax writer for tests: archives with exactly the headers a test needs (pax
 * records such as SCHILY.xattr.*, base-256 numbers, broken checksums), which GNU tar cannot
 * be asked to write.
 */
export interface TarEntrySpec {
  name: string;
  type?: '0' | '1' | '2' | '3' | '4' | '5' | '6';
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  content?: Buffer | string;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** pax records for an 'x' header before the entry (values are bytes) */
  pax?: Record<string, Buffer | string>;
  /** write the uid field in base-256 (GNU's encoding for large numbers) */
  base256Uid?: boolean;
}

function octal(n: number, width: number): string {
  return `${n.toString(8).padStart(width - 1, '0')}\0`;
}

function header(fields: { name: string; mode: number; uid: number; gid: number; size: number; mtime: number; type: string; linkname?: string; devmajor?: number; devminor?: number; base256Uid?: boolean }): Buffer {
  const h = Buffer.alloc(512);
  h.write(fields.name, 0, 100, 'utf8');
  h.write(octal(fields.mode, 8), 100, 'latin1');
  if (fields.base256Uid) {
    h[108] = 0x80;
    h.writeUIntBE(fields.uid, 116 - 6, 6);
  } else h.write(octal(fields.uid, 8), 108, 'latin1');
  h.write(octal(fields.gid, 8), 116, 'latin1');
  h.write(octal(fields.size, 12), 124, 'latin1');
  h.write(octal(fields.mtime, 12), 136, 'latin1');
  h.write(fields.type, 156, 'latin1');
  if (fields.linkname) h.write(fields.linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.write(octal(fields.devmajor ?? 0, 8), 329, 'latin1');
  h.write(octal(fields.devminor ?? 0, 8), 337, 'latin1');
  fixChecksum(h);
  return h;
}

/** Recompute a header's checksum (after a test changed a field on purpose). */
export function fixChecksum(h: Buffer): void {
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i]!;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}

function padded(b: Buffer): Buffer {
  const pad = (512 - (b.length % 512)) % 512;
  return Buffer.concat([b, Buffer.alloc(pad)]);
}

function paxRecords(pax: Record<string, Buffer | string>): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(pax)) {
    const body = Buffer.concat([Buffer.from(` ${k}=`), Buffer.from(v), Buffer.from('\n')]);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len = String(len).length + body.length;
    parts.push(Buffer.concat([Buffer.from(String(len)), body]));
  }
  return Buffer.concat(parts);
}

export function tarArchive(entries: readonly TarEntrySpec[]): Buffer {
  const out: Buffer[] = [];
  for (const e of entries) {
    if (e.pax) {
      const rec = paxRecords(e.pax);
      out.push(header({ name: 'PaxHeader', mode: 0o644, uid: 0, gid: 0, size: rec.length, mtime: 0, type: 'x' }), padded(rec));
    }
    const content = Buffer.from(e.content ?? '');
    out.push(
      header({ name: e.name, mode: e.mode ?? 0o644, uid: e.uid ?? 0, gid: e.gid ?? 0, size: content.length, mtime: e.mtime ?? 1700000000, type: e.type ?? '0', linkname: e.linkname, devmajor: e.devmajor, devminor: e.devminor, base256Uid: e.base256Uid }),
      padded(content),
    );
  }
  out.push(Buffer.alloc(1024));
  return Buffer.concat(out);
}
