/**
 * The file tree of a FAT12/16/32 filesystem (an ESP), read straight from the image bytes:
 * boot sector, FAT chains, directories with VFAT long names. `minfo` reads the boot sector's
 * fields for the report (see disk.ts). FAT keeps no owners, modes or xattrs, and mtimes to two
 * seconds, in local time as written (compared as they are stored).
 */
import { createHash } from 'node:crypto';
import { DibError } from '../errors.js';
import type { ByteSource } from './byte-reader.js';
import type { Tree, TreeEntry } from './types.js';

const ATTR_DIR = 0x10;
const ATTR_VOLUME = 0x08;
const ATTR_LFN = 0x0f;

/** Whether the bytes at `src` start with a FAT boot sector. */
export async function isVfat(src: ByteSource): Promise<boolean> {
  const b = await src.read(0, 512);
  if (b.length < 512 || b.readUInt16LE(510) !== 0xaa55) return false;
  const bps = b.readUInt16LE(11);
  const fat16 = b.subarray(54, 59).toString('latin1');
  const fat32 = b.subarray(82, 87).toString('latin1');
  return [512, 1024, 2048, 4096].includes(bps) && b[13]! > 0 && (fat16.startsWith('FAT') || fat32.startsWith('FAT32'));
}

function fatTime(date: number, time: number): { sec: number; nsec: number } {
  if (date === 0) return { sec: 0, nsec: 0 };
  const ms = Date.UTC(1980 + (date >> 9), ((date >> 5) & 0xf) - 1, date & 0x1f, time >> 11, (time >> 5) & 0x3f, (time & 0x1f) * 2);
  return { sec: Math.floor(ms / 1000), nsec: 0 };
}

function lfnChecksum(short: Buffer): number {
  let sum = 0;
  for (let i = 0; i < 11; i++) sum = (((sum & 1) << 7) + (sum >> 1) + short[i]!) & 0xff;
  return sum;
}

function shortName(e: Buffer): string {
  const lower = e[12]!;
  let base = e.subarray(0, 8).toString('latin1').trimEnd();
  let ext = e.subarray(8, 11).toString('latin1').trimEnd();
  if (base.charCodeAt(0) === 0x05) base = `\xe5${base.slice(1)}`;
  if (lower & 0x08) base = base.toLowerCase();
  if (lower & 0x10) ext = ext.toLowerCase();
  return ext ? `${base}.${ext}` : base;
}

export async function readVfatTree(src: ByteSource, what: string): Promise<Tree> {
  const bs = await src.read(0, 512);
  const bps = bs.readUInt16LE(11);
  const spc = bs[13]!;
  const reserved = bs.readUInt16LE(14);
  const fats = bs[16]!;
  const rootEntries = bs.readUInt16LE(17);
  const total = bs.readUInt16LE(19) || bs.readUInt32LE(32);
  const fatSize = bs.readUInt16LE(22) || bs.readUInt32LE(36);
  const rootSectors = Math.ceil((rootEntries * 32) / bps);
  const firstData = reserved + fats * fatSize + rootSectors;
  const clusters = Math.floor((total - firstData) / spc);
  const bits = clusters < 4085 ? 12 : clusters < 65525 ? 16 : 32;
  const clusterBytes = spc * bps;
  const fat = await src.read(reserved * bps, fatSize * bps);
  const corrupt = (msg: string) => new DibError('E_DIFF_INPUT', `${what}: ${msg}`, { hint: 'the filesystem is damaged; check it with fsck.vfat -n' });

  const next = (n: number): number => {
    if (bits === 12) {
      const v = fat.readUInt16LE(n + (n >> 1));
      return n & 1 ? v >> 4 : v & 0xfff;
    }
    return bits === 16 ? fat.readUInt16LE(n * 2) : fat.readUInt32LE(n * 4) & 0x0fffffff;
  };
  const end = bits === 12 ? 0xff8 : bits === 16 ? 0xfff8 : 0x0ffffff8;
  const chain = (first: number): number[] => {
    const out: number[] = [];
    for (let c = first; c >= 2 && c < end; c = next(c)) {
      if (c >= clusters + 2 || out.length > clusters) throw corrupt(`bad cluster chain from cluster ${first}`);
      out.push(c);
    }
    return out;
  };
  const readChain = async (first: number, size?: number): Promise<Buffer> => {
    const parts: Buffer[] = [];
    let left = size ?? Infinity;
    for (const c of chain(first)) {
      if (left <= 0) break;
      const b = await src.read((firstData + (c - 2) * spc) * bps, clusterBytes);
      parts.push(left < b.length ? b.subarray(0, left) : b);
      left -= b.length;
    }
    const data = Buffer.concat(parts);
    if (size !== undefined && data.length < size) throw corrupt(`a file of ${size} bytes has only ${data.length} bytes of clusters`);
    return data;
  };

  const entries = new Map<string, TreeEntry>();
  const rootMtime = { sec: 0, nsec: 0 };
  entries.set('/', { type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime: rootMtime });
  const seen = new Set<number>();
  const walk = async (dir: Buffer, path: string): Promise<void> => {
    let lfn: string[] = [];
    let lfnSum = -1;
    for (let p = 0; p + 32 <= dir.length; p += 32) {
      const e = dir.subarray(p, p + 32);
      if (e[0] === 0) break;
      if (e[0] === 0xe5) {
        lfn = [];
        continue;
      }
      const attr = e[11]!;
      if (attr === ATTR_LFN) {
        const ord = e[0]! & 0x1f;
        const part = Buffer.concat([e.subarray(1, 11), e.subarray(14, 26), e.subarray(28, 32)]).toString('utf16le');
        if (e[0]! & 0x40) lfn = [];
        lfn[ord - 1] = part;
        lfnSum = e[13]!;
        continue;
      }
      if (attr & ATTR_VOLUME) {
        lfn = [];
        continue;
      }
      const long = lfn.length && lfnSum === lfnChecksum(e) ? lfn.join('').split('\0')[0]!.replace(/\uffff+$/, '') : undefined;
      lfn = [];
      const name = long ?? shortName(e);
      if (name === '.' || name === '..') continue;
      const full = path === '/' ? `/${name}` : `${path}/${name}`;
      const first = (e.readUInt16LE(20) << 16) | e.readUInt16LE(26);
      const mtime = fatTime(e.readUInt16LE(24), e.readUInt16LE(22));
      if (attr & ATTR_DIR) {
        entries.set(full, { type: 'dir', mode: 0o755, uid: 0, gid: 0, size: 0, mtime });
        if (first && !seen.has(first)) {
          seen.add(first);
          await walk(await readChain(first), full);
        }
      } else {
        const size = e.readUInt32LE(28);
        const data = size ? await readChain(first, size) : Buffer.alloc(0);
        entries.set(full, { type: 'file', mode: 0o644, uid: 0, gid: 0, size, mtime, sha256: createHash('sha256').update(data).digest('hex') });
      }
    }
  };
  if (bits === 32) await walk(await readChain(bs.readUInt32LE(44)), '/');
  else await walk(await src.read((reserved + fats * fatSize) * bps, rootEntries * 32), '/');
  return { entries, can: { owners: false, modes: false, xattrs: false, mtimeResolution: 2e9 } };
}
