/**
 * Clamp the times of every inode of an ext2/3/4 filesystem, in place, for reproducible output.
 * `mke2fs -d` copies each source file's ctime, which no program can set (the kernel stamps it
 * on every change), and the atime that reading the tree just moved; `E2FSPROGS_FAKE_TIME`
 * covers only what mke2fs makes itself (the superblock, lost+found, the journal). So after
 * mke2fs, every in-use inode gets atime = ctime = crtime = the epoch and mtime clamped to it,
 * nanoseconds cleared where clamped, and its checksum recomputed (metadata_csum), as
 * e2fsprogs computes it (lib/ext2fs/csum.c). Group descriptors and bitmaps are not touched;
 * the superblock and its backups lose their I/O counter (`s_kbytes_written`), nothing else.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { DibError } from '../errors.js';

const SUPERBLOCK = 1024;
const MAGIC = 0xef53;
const INCOMPAT_64BIT = 0x80;
const INCOMPAT_CSUM_SEED = 0x2000;
const RO_COMPAT_METADATA_CSUM = 0x400;
const BG_INODE_UNINIT = 0x1;

// inode fields (struct ext2_inode_large)
const I_ATIME = 0x08;
const I_CTIME = 0x0c;
const I_MTIME = 0x10;
const I_GENERATION = 0x64;
const I_CHECKSUM_LO = 0x7c;
const I_EXTRA_ISIZE = 0x80;
const I_CHECKSUM_HI = 0x82;
const I_CTIME_EXTRA = 0x84;
const I_MTIME_EXTRA = 0x88;
const I_ATIME_EXTRA = 0x8c;
const I_CRTIME = 0x90;
const I_CRTIME_EXTRA = 0x94;

let table: Uint32Array | undefined;

/** CRC32C (Castagnoli) without the final inversion, as ext2fs_crc32c_le. */
export function crc32c(crc: number, data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
      table[i] = c >>> 0;
    }
  }
  let c = crc >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return c >>> 0;
}

/** An inode's time with its extra field (epoch bits, nanoseconds): seconds since 1970. */
function timeOf(inode: Buffer, at: number, extraAt: number | undefined): { seconds: number; nanos: number } {
  const lo = inode.readInt32LE(at);
  if (extraAt === undefined) return { seconds: lo, nanos: 0 };
  const extra = inode.readUInt32LE(extraAt);
  return { seconds: lo + (extra & 3) * 2 ** 32, nanos: extra >>> 2 };
}

function setTime(inode: Buffer, at: number, extraAt: number | undefined, seconds: number, nanos = 0): void {
  const epochBits = Math.floor((seconds + 2 ** 31) / 2 ** 32);
  inode.writeInt32LE(seconds - epochBits * 2 ** 32, at);
  if (extraAt !== undefined) inode.writeUInt32LE(((nanos << 2) | (epochBits & 3)) >>> 0, extraAt);
}

interface Geometry {
  firstData: number;
  blocksPerGroup: number;
  blockSize: number;
  inodesPerGroup: number;
  inodeSize: number;
  groups: number;
  descSize: number;
  descTable: number;
  csumSeed?: number;
}

async function readAt(fh: FileHandle, length: number, position: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  if (bytesRead !== length) throw new DibError('E_DISK', `short read at byte ${position} of an ext filesystem`, { hint: 'this is a dib bug: the filesystem image is smaller than its superblock says' });
  return buf;
}

async function geometry(fh: FileHandle, offset: number): Promise<Geometry> {
  const sb = await readAt(fh, 1024, offset + SUPERBLOCK);
  if (sb.readUInt16LE(0x38) !== MAGIC) throw new DibError('E_DISK', `no ext2/3/4 superblock at byte ${offset + SUPERBLOCK}`, { hint: 'this is a dib bug: the filesystem was not made where dib looks for it' });
  const blockSize = 1024 << sb.readUInt32LE(0x18);
  const incompat = sb.readUInt32LE(0x60);
  const roCompat = sb.readUInt32LE(0x64);
  const blocks = sb.readUInt32LE(0x04) + (incompat & INCOMPAT_64BIT ? sb.readUInt32LE(0x150) * 2 ** 32 : 0);
  const firstData = sb.readUInt32LE(0x14);
  const blocksPerGroup = sb.readUInt32LE(0x20);
  const g: Geometry = {
    firstData,
    blocksPerGroup,
    blockSize,
    inodesPerGroup: sb.readUInt32LE(0x28),
    inodeSize: sb.readUInt32LE(0x4c) >= 1 ? sb.readUInt16LE(0x58) : 128,
    groups: Math.ceil((blocks - firstData) / blocksPerGroup),
    descSize: incompat & INCOMPAT_64BIT ? sb.readUInt16LE(0xfe) : 32,
    descTable: offset + (firstData + 1) * blockSize,
  };
  if (roCompat & RO_COMPAT_METADATA_CSUM) g.csumSeed = incompat & INCOMPAT_CSUM_SEED ? sb.readUInt32LE(0x270) : crc32c(0xffffffff, sb.subarray(0x68, 0x78));
  return g;
}

/** The inode checksum of e2fsprogs' ext2fs_inode_csum (fields zeroed while summed). */
function inodeChecksum(seed: number, ino: number, inode: Buffer, hasHi: boolean): number {
  const copy = Buffer.from(inode);
  copy.writeUInt16LE(0, I_CHECKSUM_LO);
  if (hasHi) copy.writeUInt16LE(0, I_CHECKSUM_HI);
  const num = Buffer.alloc(4);
  num.writeUInt32LE(ino >>> 0);
  let crc = crc32c(seed, num);
  crc = crc32c(crc, copy.subarray(I_GENERATION, I_GENERATION + 4));
  return crc32c(crc, copy);
}

/**
 * Clamp inode times of the ext filesystem at byte `offset` of `file` to `epoch` (seconds).
 * Returns the number of inodes rewritten.
 */
export async function clampExtTimes(file: string, offset: number, epoch: number): Promise<number> {
  const fh = await open(file, 'r+');
  try {
    const g = await geometry(fh, offset);
    const descs = await readAt(fh, g.groups * g.descSize, g.descTable);
    let changed = 0;
    for (let group = 0; group < g.groups; group++) {
      const d = descs.subarray(group * g.descSize, (group + 1) * g.descSize);
      if (d.readUInt16LE(0x12) & BG_INODE_UNINIT) continue;
      const hi = (lo: number, hiAt: number) => d.readUInt32LE(lo) + (g.descSize >= 64 ? d.readUInt32LE(hiAt) * 2 ** 32 : 0);
      const bitmap = await readAt(fh, g.blockSize, offset + hi(0x04, 0x24) * g.blockSize);
      // the bitmap's bits past inodes_per_group are padding (set), not inodes
      let last = -1;
      for (let i = 0; i < g.inodesPerGroup; i++) if (bitmap[i >> 3]! & (1 << (i & 7))) last = i;
      if (last < 0) continue;
      const tableAt = offset + hi(0x08, 0x28) * g.blockSize;
      const inodes = await readAt(fh, (last + 1) * g.inodeSize, tableAt);
      let dirty = false;
      for (let i = 0; i <= last; i++) {
        if (!(bitmap[i >> 3]! & (1 << (i & 7)))) continue;
        const inode = inodes.subarray(i * g.inodeSize, (i + 1) * g.inodeSize);
        if (clampInode(inode, g, group * g.inodesPerGroup + i + 1, epoch)) {
          dirty = true;
          changed++;
        }
      }
      if (dirty) await fh.write(inodes, 0, inodes.length, tableAt);
    }
    await clearLifetimeWrites(fh, g, offset);
    await fh.sync();
    return changed;
  } finally {
    await fh.close();
  }
}

const S_KBYTES_WRITTEN = 0x178;
const S_BLOCK_GROUP_NR = 0x5a;
const S_CHECKSUM = 0x3fc;

/**
 * `s_kbytes_written` ("Lifetime writes") counts the bytes mke2fs happened to write — I/O, not
 * content: the same tree read through an overlay or from a plain directory gives other counts.
 * With SOURCE_DATE_EPOCH it is 0 in the superblock and in each backup (their checksums
 * recomputed, as ext2fs_superblock_csum: crc32c of the bytes before s_checksum).
 */
async function clearLifetimeWrites(fh: FileHandle, g: Geometry, offset: number): Promise<void> {
  const copies = [offset + SUPERBLOCK];
  for (let group = 1; group < g.groups; group++) copies.push(offset + (g.firstData + group * g.blocksPerGroup) * g.blockSize);
  for (const [n, at] of copies.entries()) {
    const sb = Buffer.alloc(1024);
    const { bytesRead } = await fh.read(sb, 0, 1024, at);
    // a group without a backup (sparse_super) holds data there: only real copies are touched
    if (bytesRead !== 1024 || sb.readUInt16LE(0x38) !== MAGIC || (n > 0 && sb.readUInt16LE(S_BLOCK_GROUP_NR) !== n)) continue;
    if (sb.readBigUInt64LE(S_KBYTES_WRITTEN) === 0n) continue;
    sb.writeBigUInt64LE(0n, S_KBYTES_WRITTEN);
    if (g.csumSeed !== undefined) sb.writeUInt32LE(crc32c(0xffffffff, sb.subarray(0, S_CHECKSUM)) >>> 0, S_CHECKSUM);
    await fh.write(sb, 0, 1024, at);
  }
}

function clampInode(inode: Buffer, g: Geometry, ino: number, epoch: number): boolean {
  // reserved inodes mke2fs leaves empty (quota, undelete…) stay empty
  if (inode.subarray(0, 128).every((b) => b === 0)) return false;
  const large = g.inodeSize > 128;
  const extraSize = large ? inode.readUInt16LE(I_EXTRA_ISIZE) : 0;
  // a field of the large inode (4 bytes from `field`) exists when i_extra_isize reaches past it
  const has = (field: number) => large && 128 + extraSize >= field + 4;
  const before = Buffer.from(inode);
  // atime, ctime, crtime: the epoch (they only ever say when the build ran)
  setTime(inode, I_ATIME, has(I_ATIME_EXTRA) ? I_ATIME_EXTRA : undefined, epoch);
  setTime(inode, I_CTIME, has(I_CTIME_EXTRA) ? I_CTIME_EXTRA : undefined, epoch);
  if (has(I_CRTIME)) setTime(inode, I_CRTIME, has(I_CRTIME_EXTRA) ? I_CRTIME_EXTRA : undefined, epoch);
  // mtime: clamped, so that what was older keeps its time (as tar --clamp-mtime)
  const mExtra = has(I_MTIME_EXTRA) ? I_MTIME_EXTRA : undefined;
  const m = timeOf(inode, I_MTIME, mExtra);
  if (m.seconds > epoch || (m.seconds === epoch && m.nanos !== 0)) setTime(inode, I_MTIME, mExtra, epoch);
  if (inode.equals(before)) return false;
  if (g.csumSeed !== undefined) {
    const hasHi = large && 128 + extraSize >= I_CHECKSUM_HI + 2;
    const crc = inodeChecksum(g.csumSeed, ino, inode, hasHi);
    inode.writeUInt16LE(crc & 0xffff, I_CHECKSUM_LO);
    if (hasHi) inode.writeUInt16LE(crc >>> 16, I_CHECKSUM_HI);
  }
  return true;
}
