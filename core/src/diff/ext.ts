/**
 * The file tree of an ext2/3/4 filesystem, read straight from the image bytes (no mount, no
 * extraction): superblock and group descriptors (32- and 64-bit), inodes, extent trees and
 * indirect blocks, linear and hashed (htree) directories, inline data, in-inode and block
 * extended attributes. Enough for what mke2fs -d writes; `dumpe2fs -h` reads the superblock's
 * fields for the report (see disk.ts).
 */
import { createHash } from 'node:crypto';
import { DibError } from '../errors.js';
import { zeros, type ByteSource } from './byte-reader.js';
import { applyHardlinkGroups, typeFromMode } from './tree.js';
import type { Tree, TreeEntry } from './types.js';

const EXT_MAGIC = 0xef53;
const INCOMPAT_FILETYPE = 0x2;
const INCOMPAT_META_BG = 0x10;
const INCOMPAT_64BIT = 0x80;
const INCOMPAT_ENCRYPT = 0x10000;
const EXTENTS_FL = 0x80000;
const INLINE_DATA_FL = 0x10000000;
const XATTR_MAGIC = 0xea020000;
const ROOT_INO = 2;
const XATTR_PREFIX: Record<number, string> = { 1: 'user.', 2: 'system.posix_acl_access', 3: 'system.posix_acl_default', 4: 'trusted.', 6: 'security.', 7: 'system.', 8: 'system.richacl' };

interface Inode {
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  links: number;
  flags: number;
  mtime: { sec: number; nsec: number };
  block: Buffer;
  fileAcl: number;
  raw: Buffer;
  extra: number;
}

/** Whether the bytes at `src` hold an ext2/3/4 superblock. */
export async function isExt(src: ByteSource): Promise<boolean> {
  const sb = await src.read(1024, 1024);
  return sb.length >= 58 && sb.readUInt16LE(56) === EXT_MAGIC;
}

export class ExtReader {
  private readonly blockSize: number;
  private readonly inodeSize: number;
  private readonly inodesPerGroup: number;
  private readonly descSize: number;
  private readonly gdtOffset: number;
  private readonly filetype: boolean;
  private readonly is64: boolean;
  private readonly groups: number;
  private readonly cache = new Map<number, Buffer>();
  private gdt: Buffer | undefined;

  private constructor(
    private readonly src: ByteSource,
    sb: Buffer,
    private readonly what: string,
  ) {
    const incompat = sb.readUInt32LE(96);
    this.blockSize = 1024 << sb.readUInt32LE(24);
    this.inodeSize = sb.readUInt32LE(76) === 0 ? 128 : sb.readUInt16LE(88);
    this.inodesPerGroup = sb.readUInt32LE(40);
    this.is64 = (incompat & INCOMPAT_64BIT) !== 0;
    this.descSize = this.is64 ? sb.readUInt16LE(254) || 64 : 32;
    this.gdtOffset = (sb.readUInt32LE(20) + 1) * this.blockSize;
    this.filetype = (incompat & INCOMPAT_FILETYPE) !== 0;
    if (incompat & INCOMPAT_META_BG) throw this.unsupported('meta_bg');
    if (incompat & INCOMPAT_ENCRYPT) throw this.unsupported('encrypt');
    const blocks = sb.readUInt32LE(4) + (this.is64 ? sb.readUInt32LE(0x150) * 2 ** 32 : 0);
    this.groups = Math.ceil((blocks - sb.readUInt32LE(20)) / sb.readUInt32LE(32));
  }

  static async open(src: ByteSource, what: string): Promise<ExtReader> {
    const sb = await src.read(1024, 1024);
    if (sb.length < 1024 || sb.readUInt16LE(56) !== EXT_MAGIC) throw new DibError('E_DIFF_INPUT', `${what}: no ext2/3/4 superblock`, { hint: 'the filesystem is damaged or not ext2/3/4' });
    return new ExtReader(src, sb, what);
  }

  private unsupported(feature: string): DibError {
    return new DibError('E_DIFF_INPUT', `${this.what}: ext4 feature ${feature} is not supported by dib diff`, { hint: 'compare such filesystems as directories (extract them with debugfs rdump)' });
  }

  private corrupt(msg: string): DibError {
    return new DibError('E_DIFF_INPUT', `${this.what}: ${msg}`, { hint: 'the filesystem is damaged; check it with e2fsck -fn' });
  }

  private async block(n: number): Promise<Buffer> {
    let b = this.cache.get(n);
    if (!b) {
      b = await this.src.read(n * this.blockSize, this.blockSize);
      if (b.length < this.blockSize) throw this.corrupt(`block ${n} lies past the end of the filesystem`);
      if (this.cache.size > 4096) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(n, b);
    }
    return b;
  }

  private async inode(ino: number): Promise<Inode> {
    if (ino < 1 || ino > this.groups * this.inodesPerGroup) throw this.corrupt(`inode ${ino} out of range`);
    this.gdt ??= await this.src.read(this.gdtOffset, this.groups * this.descSize);
    const group = Math.floor((ino - 1) / this.inodesPerGroup);
    const index = (ino - 1) % this.inodesPerGroup;
    const d = group * this.descSize;
    const table = this.gdt.readUInt32LE(d + 8) + (this.is64 && this.descSize >= 64 ? this.gdt.readUInt32LE(d + 0x28) * 2 ** 32 : 0);
    const byte = index * this.inodeSize;
    const blk = await this.block(table + Math.floor(byte / this.blockSize));
    const raw = blk.subarray(byte % this.blockSize, (byte % this.blockSize) + this.inodeSize);
    const extra = this.inodeSize > 128 ? raw.readUInt16LE(128) : 0;
    const mtimeExtra = extra >= 12 ? raw.readUInt32LE(136) : 0;
    return {
      ino,
      mode: raw.readUInt16LE(0),
      uid: raw.readUInt16LE(2) | (raw.readUInt16LE(120) << 16),
      gid: raw.readUInt16LE(24) | (raw.readUInt16LE(122) << 16),
      size: raw.readUInt32LE(4) + raw.readUInt32LE(108) * 2 ** 32,
      links: raw.readUInt16LE(26),
      flags: raw.readUInt32LE(32),
      mtime: { sec: raw.readInt32LE(16) + (mtimeExtra & 3) * 2 ** 32, nsec: mtimeExtra >>> 2 },
      block: raw.subarray(40, 100),
      fileAcl: raw.readUInt32LE(104) + raw.readUInt16LE(118) * 2 ** 32,
      raw,
      extra,
    };
  }

  /** The physical runs of an inode's data: [logical block, physical block (0: hole/unwritten), count]. */
  private async runs(ino: Inode): Promise<Array<[number, number, number]>> {
    const out: Array<[number, number, number]> = [];
    if (ino.flags & EXTENTS_FL) await this.extents(ino.block, out, 0);
    else await this.indirect(ino, out);
    return out.sort((a, b) => a[0] - b[0]);
  }

  private async extents(node: Buffer, out: Array<[number, number, number]>, depthSeen: number): Promise<void> {
    if (node.readUInt16LE(0) !== 0xf30a) throw this.corrupt('bad extent header');
    if (depthSeen > 8) throw this.corrupt('extent tree too deep');
    const entries = node.readUInt16LE(2);
    const depth = node.readUInt16LE(6);
    for (let i = 0; i < entries; i++) {
      const e = node.subarray(12 + i * 12, 24 + i * 12);
      if (depth === 0) {
        let len = e.readUInt16LE(4);
        const unwritten = len > 32768;
        if (unwritten) len -= 32768;
        const start = e.readUInt16LE(6) * 2 ** 32 + e.readUInt32LE(8);
        out.push([e.readUInt32LE(0), unwritten ? 0 : start, len]);
      } else {
        const leaf = e.readUInt32LE(4) + e.readUInt16LE(8) * 2 ** 32;
        await this.extents(await this.block(leaf), out, depthSeen + 1);
      }
    }
  }

  private async indirect(ino: Inode, out: Array<[number, number, number]>): Promise<void> {
    const per = this.blockSize / 4;
    const total = Math.ceil(ino.size / this.blockSize);
    let logical = 0;
    const walk = async (ptr: number, level: number): Promise<void> => {
      const span = per ** level;
      if (logical >= total) return;
      if (ptr === 0) {
        logical += span;
        return;
      }
      if (level === 0) {
        out.push([logical++, ptr, 1]);
        return;
      }
      const b = await this.block(ptr);
      for (let i = 0; i < per && logical < total; i++) await walk(b.readUInt32LE(i * 4), level - 1);
    };
    for (let i = 0; i < 12; i++) await walk(ino.block.readUInt32LE(i * 4), 0);
    for (let lvl = 1; lvl <= 3; lvl++) await walk(ino.block.readUInt32LE((11 + lvl) * 4), lvl);
  }

  /** Pass the inode's content to `fn` in order, holes as zeros. */
  private async content(ino: Inode, fn: (chunk: Buffer) => void): Promise<void> {
    if (ino.flags & INLINE_DATA_FL) {
      const data = Buffer.concat([ino.block, Buffer.from((await this.xattrs(ino, true))['system.data'] ?? '', 'hex')]);
      fn(data.subarray(0, ino.size));
      return;
    }
    const bs = this.blockSize;
    let pos = 0;
    for (const [logical, physical, count] of await this.runs(ino)) {
      const from = logical * bs;
      if (from >= ino.size) break;
      if (from > pos) zeros(from - pos, fn);
      const bytes = Math.min(count * bs, ino.size - from);
      if (physical === 0) zeros(bytes, fn);
      else {
        for (let off = 0; off < bytes; off += 1 << 20) {
          const n = Math.min(1 << 20, bytes - off);
          const b = await this.src.read(physical * bs + off, n);
          if (b.length < n) throw this.corrupt(`inode ${ino.ino}: data past the end of the filesystem`);
          fn(b);
        }
      }
      pos = from + bytes;
    }
    if (ino.size > pos) zeros(ino.size - pos, fn);
  }

  private async bytes(ino: Inode, limit = 64 * 1024 * 1024): Promise<Buffer> {
    if (ino.size > limit) throw this.corrupt(`inode ${ino.ino} is ${ino.size} bytes, too large for a directory or link`);
    const parts: Buffer[] = [];
    await this.content(ino, (c) => parts.push(Buffer.from(c)));
    return Buffer.concat(parts);
  }

  /** Extended attributes as name → hex value; `system.data` (inline data) only when asked. */
  private async xattrs(ino: Inode, withData = false): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const parse = async (buf: Buffer, first: number, base: number) => {
      for (let p = first; p + 16 <= buf.length && buf.readUInt32LE(p) !== 0; ) {
        const nameLen = buf[p]!;
        const index = buf[p + 1]!;
        const valueOffs = buf.readUInt16LE(p + 2);
        const valueInum = buf.readUInt32LE(p + 4);
        const valueSize = buf.readUInt32LE(p + 8);
        const name = `${XATTR_PREFIX[index] ?? `index${index}.`}${buf.subarray(p + 16, p + 16 + nameLen).toString('latin1')}`;
        const value = valueInum ? await this.bytes(await this.inode(valueInum)) : buf.subarray(base + valueOffs, base + valueOffs + valueSize);
        if (withData || name !== 'system.data') out[name] = value.toString('hex');
        p += (16 + nameLen + 3) & ~3;
      }
    };
    const inBody = 128 + ino.extra;
    if (this.inodeSize > inBody + 4 && ino.raw.readUInt32LE(inBody) === XATTR_MAGIC) await parse(ino.raw, inBody + 4, inBody + 4);
    if (ino.fileAcl) {
      const b = await this.block(ino.fileAcl);
      if (b.readUInt32LE(0) === XATTR_MAGIC) await parse(b, 32, 0);
    }
    return out;
  }

  private async dirEntries(ino: Inode): Promise<Array<[string, number]>> {
    let data = await this.bytes(ino);
    // inline directories start with the parent's inode number instead of '.' and '..'
    if (ino.flags & INLINE_DATA_FL) data = data.subarray(4);
    const out: Array<[string, number]> = [];
    for (let p = 0; p + 8 <= data.length; ) {
      const child = data.readUInt32LE(p);
      const recLen = data.readUInt16LE(p + 4);
      const nameLen = this.filetype ? data[p + 6]! : data.readUInt16LE(p + 6);
      if (recLen < 8 || p + recLen > data.length) {
        if (ino.flags & INLINE_DATA_FL) break;
        throw this.corrupt(`inode ${ino.ino}: bad directory entry at byte ${p}`);
      }
      const name = data.subarray(p + 8, p + 8 + nameLen).toString('utf8');
      if (child !== 0 && name !== '.' && name !== '..') out.push([name, child]);
      p += recLen;
    }
    return out;
  }

  /** The whole tree, from the root directory. */
  async tree(): Promise<Tree> {
    const entries = new Map<string, TreeEntry>();
    const names = new Map<number, string[]>();
    const seenDirs = new Set<number>();
    const visit = async (path: string, ino: Inode): Promise<void> => {
      const type = typeFromMode(ino.mode);
      if (!type) throw this.corrupt(`inode ${ino.ino} (${path}) has an unknown type ${ino.mode.toString(8)}`);
      const e: TreeEntry = { type, mode: ino.mode & 0o7777, uid: ino.uid, gid: ino.gid, size: 0, mtime: ino.mtime };
      const xattrs = await this.xattrs(ino);
      if (Object.keys(xattrs).length) e.xattrs = xattrs;
      if (type === 'file') {
        const sha = createHash('sha256');
        await this.content(ino, (c) => sha.update(c));
        e.sha256 = sha.digest('hex');
        e.size = ino.size;
        if (ino.links > 1) names.set(ino.ino, [...(names.get(ino.ino) ?? []), path]);
      } else if (type === 'symlink') {
        const fast = !(ino.flags & (EXTENTS_FL | INLINE_DATA_FL)) && ino.size < 60;
        e.target = (fast ? ino.block.subarray(0, ino.size) : await this.bytes(ino, 65536)).toString('utf8');
        e.size = ino.size;
      } else if (type === 'char' || type === 'block') {
        const old = ino.block.readUInt32LE(0);
        const neu = ino.block.readUInt32LE(4);
        e.rdev = old ? `${(old >> 8) & 0xff},${old & 0xff}` : `${(neu & 0xfff00) >> 8},${(neu & 0xff) | ((neu >> 12) & 0xfff00)}`;
      }
      entries.set(path, e);
      if (type === 'dir') {
        if (seenDirs.has(ino.ino)) throw this.corrupt(`directory loop at ${path}`);
        seenDirs.add(ino.ino);
        for (const [name, child] of await this.dirEntries(ino)) {
          await visit(path === '/' ? `/${name}` : `${path}/${name}`, await this.inode(child));
        }
      }
    };
    await visit('/', await this.inode(ROOT_INO));
    applyHardlinkGroups(entries, [...names.values()].filter((g) => g.length > 1));
    return { entries, can: { owners: true, modes: true, xattrs: true, mtimeResolution: this.inodeSize > 128 ? 1 : 1e9 } };
  }
}
