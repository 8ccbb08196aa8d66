/**
 * A tar reader for `dib diff`: ustar, GNU (long names, old-style sparse files, base-256
 * numbers) and pax (long names, exact mtimes, owners, xattrs as `SCHILY.xattr.*`, GNU sparse
 * 0.1 and 1.0), read as a stream: headers are parsed, contents are hashed as they pass.
 * dib's tar and tgz outputs are GNU tar archives; directories are read through GNU tar in pax
 * format, so all three come here.
 */
import { createHash } from 'node:crypto';
import { DibError } from '../errors.js';
import { StreamReader, zeros } from './byte-reader.js';
import { applyHardlinkGroups, normalisePath } from './tree.js';
import type { EntryType, Locator, Tree, TreeEntry } from './types.js';

const BLOCK = 512;
/** pax and GNU long-name records are read whole; larger ones are not a real archive */
const MAX_META = 16 * 1024 * 1024;

/** Where an entry lies in the archive, for naming the entry a byte offset falls in. */
interface Span {
  start: number;
  data: number;
  end: number;
  path: string;
}

export interface TarListing {
  tree: Tree;
  locate: Locator;
}

function cstr(b: Buffer): string {
  const z = b.indexOf(0);
  return (z < 0 ? b : b.subarray(0, z)).toString('utf8');
}

/** A numeric header field: octal text, or base-256 when the high bit of the first byte is set. */
export function tarNumber(b: Buffer): number {
  if (b.length && (b[0]! & 0x80) !== 0) {
    let v = BigInt(b[0]! & 0x7f);
    for (const byte of b.subarray(1)) v = (v << 8n) | BigInt(byte);
    return Number(v);
  }
  const s = cstr(b).trim();
  return s ? parseInt(s, 8) : 0;
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === tarNumber(h.subarray(148, 156));
}

/** pax records: `LEN key=value\n`, LEN counting the whole record; values are bytes. */
export function parsePax(b: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let i = 0;
  while (i < b.length) {
    const sp = b.indexOf(0x20, i);
    if (sp < 0) break;
    const len = parseInt(b.subarray(i, sp).toString('latin1'), 10);
    if (!Number.isFinite(len) || len <= 0 || i + len > b.length) throw new DibError('E_DIFF_INPUT', `corrupt pax header record at byte ${i}`, { hint: 'the archive is damaged; check it with tar -tvf' });
    const rec = b.subarray(sp + 1, i + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq > 0) out.set(rec.subarray(0, eq).toString('utf8'), rec.subarray(eq + 1));
    i += len;
  }
  return out;
}

function paxTime(v: Buffer): { sec: number; nsec: number } {
  const s = v.toString('latin1');
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) return { sec: 0, nsec: 0 };
  const sec = Number(m[2]) * (m[1] ? -1 : 1);
  const nsec = m[3] ? Number(m[3].slice(0, 9).padEnd(9, '0')) : 0;
  return { sec, nsec };
}

const TYPES: Record<string, EntryType> = { '0': 'file', '7': 'file', '2': 'symlink', '3': 'char', '4': 'block', '5': 'dir', '6': 'fifo', D: 'dir' };

type Segment = readonly [offset: number, bytes: number];

/**
 * Read a tar stream into a tree. `source` yields the archive's bytes (already gunzipped for
 * tgz). Throws E_DIFF_INPUT for something that is not a tar archive, or a damaged one.
 */
export async function readTar(source: AsyncIterable<Buffer | string> | Iterable<Buffer>, what: string): Promise<TarListing> {
  const r = new StreamReader(source);
  const entries = new Map<string, TreeEntry>();
  const links: Array<[string, string]> = [];
  const spans: Span[] = [];
  let global = new Map<string, Buffer>();
  let pax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  let start = 0;
  let headers = 0;

  const readMeta = async (size: number, at: number): Promise<Buffer> => {
    if (size > MAX_META) throw new DibError('E_DIFF_INPUT', `${what}: an extended header of ${size} bytes at byte ${at}`, { hint: 'the archive is damaged; check it with tar -tvf' });
    const b = await r.read(size);
    await r.read(pad(size));
    return b;
  };

  for (;;) {
    const at = r.offset;
    const h = await r.read(BLOCK);
    if (h.length === 0) break;
    if (h.length < BLOCK) throw new DibError('E_DIFF_INPUT', `${what}: truncated tar header at byte ${at}`, { hint: 'the archive is incomplete; write it again' });
    if (h.every((x) => x === 0)) break;
    if (!checksumOk(h)) {
      throw new DibError('E_DIFF_INPUT', headers === 0 ? `${what} is not a tar archive` : `${what}: bad tar header checksum at byte ${at}`, {
        hint: headers === 0 ? 'give a tar, tgz, squashfs, qcow2, raw or vhd image, or a directory' : 'the archive is damaged; check it with tar -tvf',
      });
    }
    headers++;
    if (!pax.size && longName === undefined && longLink === undefined) start = at;
    const flag = h[156] === 0 ? '0' : String.fromCharCode(h[156]!);
    const size = tarNumber(h.subarray(124, 136));
    if (flag === 'x') {
      pax = new Map([...pax, ...parsePax(await readMeta(size, at))]);
      continue;
    }
    if (flag === 'g') {
      global = new Map([...global, ...parsePax(await readMeta(size, at))]);
      continue;
    }
    if (flag === 'L' || flag === 'K') {
      const v = cstr(await readMeta(size, at));
      if (flag === 'L') longName = v;
      else longLink = v;
      continue;
    }
    const p = new Map([...global, ...pax]);
    const ustar = h.subarray(257, 263).toString('latin1') === 'ustar\0';
    const prefix = ustar ? cstr(h.subarray(345, 500)) : '';
    const rawName = p.get('GNU.sparse.name')?.toString('utf8') ?? p.get('path')?.toString('utf8') ?? longName ?? (prefix ? `${prefix}/${cstr(h.subarray(0, 100))}` : cstr(h.subarray(0, 100)));
    const linkName = p.get('linkpath')?.toString('utf8') ?? longLink ?? cstr(h.subarray(157, 257));
    const name = normalisePath(rawName);
    const stored = p.has('size') ? Number(p.get('size')!.toString('latin1')) : size;
    const entry: TreeEntry = {
      type: TYPES[flag] ?? 'file',
      mode: tarNumber(h.subarray(100, 108)) & 0o7777,
      uid: p.has('uid') ? Number(p.get('uid')!.toString('latin1')) : tarNumber(h.subarray(108, 116)),
      gid: p.has('gid') ? Number(p.get('gid')!.toString('latin1')) : tarNumber(h.subarray(116, 124)),
      size: 0,
      mtime: p.has('mtime') ? paxTime(p.get('mtime')!) : { sec: tarNumber(h.subarray(136, 148)), nsec: 0 },
    };
    const xattrs: Record<string, string> = {};
    for (const [k, v] of p) if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice('SCHILY.xattr.'.length)] = v.toString('hex');
    if (Object.keys(xattrs).length) entry.xattrs = xattrs;

    let segments: Segment[] | undefined;
    let realSize = stored;
    if (flag === 'S') {
      // old GNU sparse: 4 map entries in the header, more in extension blocks
      segments = sparseMap(h.subarray(386, 482), 4);
      realSize = tarNumber(h.subarray(483, 495));
      let extended = h[482] !== 0;
      while (extended) {
        const ext = await r.read(BLOCK);
        if (ext.length < BLOCK) throw new DibError('E_DIFF_INPUT', `${what}: truncated sparse map of ${name}`, { hint: 'the archive is incomplete; write it again' });
        segments.push(...sparseMap(ext.subarray(0, 504), 21));
        extended = ext[504] !== 0;
      }
    } else if (p.get('GNU.sparse.major')?.toString() === '1') {
      realSize = Number(p.get('GNU.sparse.realsize')?.toString() ?? stored);
    } else if (p.has('GNU.sparse.map')) {
      const nums = p.get('GNU.sparse.map')!.toString().split(',').map(Number);
      segments = [];
      for (let i = 0; i + 1 < nums.length; i += 2) segments.push([nums[i]!, nums[i + 1]!]);
      realSize = Number(p.get('GNU.sparse.size')?.toString() ?? stored);
    }
    const dataStart = r.offset;

    if (flag === '1') {
      links.push([name, normalisePath(linkName)]);
    } else if (entry.type === 'symlink') {
      entry.target = linkName;
      entry.size = Buffer.byteLength(linkName);
    } else if (entry.type === 'char' || entry.type === 'block') {
      entry.rdev = `${tarNumber(h.subarray(329, 337))},${tarNumber(h.subarray(337, 345))}`;
    }
    let consumed = 0;
    if (entry.type === 'file' && flag !== '1') {
      const sha = createHash('sha256');
      const feed = (c: Buffer) => sha.update(c);
      if (p.get('GNU.sparse.major')?.toString() === '1') {
        const { map, bytes } = await sparseMap1(r, name, what);
        consumed = bytes;
        segments = map;
      }
      if (segments) {
        let pos = 0;
        for (const [off, n] of segments) {
          if (off > pos) zeros(off - pos, feed);
          consumed += await r.each(n, feed);
          pos = off + n;
        }
        if (realSize > pos) zeros(realSize - pos, feed);
        entry.size = realSize;
      } else {
        consumed = await r.each(stored, feed);
        entry.size = stored;
      }
      entry.sha256 = sha.digest('hex');
    }
    // the rest of the data (a hard link or device with a size, a short sparse map) and padding
    const dataBytes = flag === 'S' || segments ? Math.max(stored, consumed) : stored;
    if (dataBytes > consumed) await r.each(dataBytes - consumed, () => undefined);
    await r.each(pad(dataBytes), () => undefined);
    if (r.offset < dataStart + dataBytes) throw new DibError('E_DIFF_INPUT', `${what}: truncated content of ${name}`, { hint: 'the archive is incomplete; write it again' });

    if (flag !== '1') entries.set(name, entry);
    spans.push({ start, data: dataStart, end: r.offset, path: name });
    pax = new Map();
    longName = undefined;
    longLink = undefined;
  }
  if (headers === 0) throw new DibError('E_DIFF_INPUT', `${what} is an empty tar archive`, { hint: 'give an archive with files in it' });

  // hard links: every name of a file gets the file's entry; the sorted-first name holds it
  const groups = new Map<string, string[]>();
  const linkTo = new Map(links);
  const root = (n: string): string => {
    let cur = n;
    for (let i = 0; i < 64; i++) {
      const next = linkTo.get(cur);
      if (next === undefined || next === cur) break;
      cur = next;
    }
    return cur;
  };
  for (const [name] of links) {
    const target = root(name);
    const g = groups.get(target) ?? [target];
    g.push(name);
    groups.set(target, g);
  }
  for (const [target, names] of groups) {
    if (!entries.has(target)) {
      // a link to a name outside the archive: keep the link itself, as GNU tar lists it
      for (const n of names) if (n !== target) entries.set(n, { type: 'file', mode: 0, uid: 0, gid: 0, size: 0, mtime: { sec: 0, nsec: 0 }, hardlink: target });
      groups.delete(target);
    }
  }
  applyHardlinkGroups(entries, groups.values());

  const end = r.offset;
  return {
    tree: { entries, can: { owners: true, modes: true, xattrs: true, mtimeResolution: 1 } },
    locate: (offset) => {
      let lo = 0;
      let hi = spans.length - 1;
      let found: Span | undefined;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (spans[mid]!.start <= offset) {
          found = spans[mid];
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (found && offset < found.end) return `${offset < found.data ? 'header' : 'content'} of ${found.path}`;
      return offset >= end ? 'the end-of-archive blocks' : undefined;
    },
  };
}

function pad(n: number): number {
  return (BLOCK - (n % BLOCK)) % BLOCK;
}

function sparseMap(b: Buffer, count: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) {
    const off = b.subarray(i * 24, i * 24 + 12);
    const n = b.subarray(i * 24 + 12, i * 24 + 24);
    if (off[0] === 0) break;
    out.push([tarNumber(off), tarNumber(n)]);
  }
  return out;
}

/** GNU sparse 1.0: the map is decimal lines at the start of the data, padded to a block. */
async function sparseMap1(r: StreamReader, name: string, what: string): Promise<{ map: Array<[number, number]>; bytes: number }> {
  let text = '';
  let bytes = 0;
  const nums: number[] = [];
  let count = -1;
  while (count < 0 || nums.length < count * 2) {
    const b = await r.read(BLOCK);
    if (b.length < BLOCK) throw new DibError('E_DIFF_INPUT', `${what}: truncated sparse map of ${name}`, { hint: 'the archive is incomplete; write it again' });
    bytes += BLOCK;
    text += b.toString('latin1');
    const lines = text.split('\n');
    text = lines.pop() ?? '';
    for (const l of lines) {
      if (count < 0) count = Number(l);
      else nums.push(Number(l));
    }
    if (bytes > MAX_META) throw new DibError('E_DIFF_INPUT', `${what}: sparse map of ${name} too large`, { hint: 'the archive is damaged' });
  }
  const map: Array<[number, number]> = [];
  for (let i = 0; i < count; i++) map.push([nums[2 * i]!, nums[2 * i + 1]!]);
  return { map, bytes };
}
