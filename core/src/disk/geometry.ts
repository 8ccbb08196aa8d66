/**
 * Disk geometry: concrete byte offsets and sizes for the layout's partitions and filesystems.
 * Without an image size each filesystem is sized from its content with headroom (DIB sizes
 * from `du`); with one, `N%` takes that share of the space still free (DIB semantics) and a
 * trailing `100%` fills the rest. GPT keeps the last MiB free for the backup header.
 */
import { DibError } from '../errors.js';
import { diskProblemError } from './buildable.js';
import type { DiskLayout, LayoutFilesystem, LayoutPartition, TableKind } from './layout.js';
import { alignDown, alignUp, KiB, MiB } from './size.js';
import { formatBytes } from '../util/bytes.js';

export interface PartitionGeometry {
  name: string;
  number: number;
  /** byte offset in the image */
  start: number;
  size: number;
  logical: boolean;
}

export interface FilesystemGeometry {
  /** mkfs node name */
  name: string;
  mountPoint?: string;
  partition?: string;
  /** byte offset of the filesystem in the image */
  offset: number;
  size: number;
  /** the least size its content needs */
  minimum: number;
}

export interface DiskGeometry {
  imageSize: number;
  table: TableKind;
  partitions: PartitionGeometry[];
  /** MBR extended partition holding the logical ones */
  extended?: { number: number; start: number; size: number };
  filesystems: FilesystemGeometry[];
}

/** Space GPT keeps at the end of the disk for the backup table (rounded up to 1 MiB). */
export const GPT_TAIL = MiB;
const MBR_MAX_BYTES = 2 ** 32 * 512;

function journalMiB(fs: LayoutFilesystem): number {
  const i = fs.opts.indexOf('-J');
  const j = i >= 0 ? fs.opts[i + 1] : fs.opts.find((o) => o.startsWith('-J'))?.slice(2);
  const m = j ? /size=(\d+)/.exec(j) : null;
  if (m) return Number(m[1]);
  if (fs.opts.some((o) => o.includes('^has_journal'))) return 0;
  return fs.type === 'ext2' ? 0 : 64;
}

function inodeRatio(fs: LayoutFilesystem): number {
  const i = fs.opts.indexOf('-i');
  const v = i >= 0 ? Number(fs.opts[i + 1]) : NaN;
  return Number.isFinite(v) && v >= 1024 ? v : 4096;
}

/** The least size a filesystem of this type holding `content` bytes (and `free` bytes free) needs. */
export function minimumFsSize(fs: LayoutFilesystem, content: number, free = 0): number {
  switch (fs.type) {
    case 'ext2':
    case 'ext3':
    case 'ext4': {
      // inode tables take 256 bytes per inode-ratio bytes; then journal and metadata.
      // mke2fs refuses a journal of half the filesystem or more.
      const usable = 1 - 256 / inodeRatio(fs);
      const j = journalMiB(fs) * MiB;
      return alignUp(Math.max((content * 1.08 + free + j + 4 * MiB) / usable, 2 * j + 8 * MiB), MiB);
    }
    case 'xfs':
      // mkfs.xfs (xfsprogs 5.19 and newer) refuses filesystems under 300 MB; its log and
      // allocation groups take a few percent more
      return Math.max(alignUp(content * 1.1 + free + 64 * MiB, MiB), XFS_MINIMUM);
    case 'vfat':
      return Math.max(alignUp(content * 1.08 + free + MiB, MiB), 2 * MiB);
    case 'swap':
      return MiB;
  }
}

/** The smallest xfs filesystem current mkfs.xfs makes (300 MB, in MiB). */
export const XFS_MINIMUM = 300 * MiB;

/** The size dib gives a filesystem when the image size is not set: content with headroom. */
export function suggestedFsSize(fs: LayoutFilesystem, content: number): number {
  let s: number;
  switch (fs.type) {
    case 'ext2':
    case 'ext3':
    case 'ext4':
      s = alignUp(content * 1.25 + 2 * journalMiB(fs) * MiB + 64 * MiB, MiB);
      break;
    case 'xfs':
      s = alignUp(content * 1.25 + 128 * MiB, MiB);
      break;
    case 'vfat':
      s = alignUp(content * 1.2 + 16 * MiB, MiB);
      break;
    case 'swap':
      s = 0;
  }
  return Math.max(s, minimumFsSize(fs, content));
}

function contentOf(fs: LayoutFilesystem, content: ReadonlyMap<string, number>): number {
  return fs.mountPoint !== undefined ? (content.get(fs.mountPoint) ?? 0) : 0;
}

function tooSmall(message: string, hint = 'raise imageSize in the config or pass --image-size, or leave it unset to size the image from the tree'): DibError {
  return new DibError('E_DISK', message, { hint });
}

/**
 * Concrete geometry. `imageSize` (bytes, e.g. from `--image-size`) is used when the layout's
 * local_loop does not set `size` (DIB: the config's size wins); without either the image is
 * sized from `content` (bytes per mount point, see `measureTree`). `extraSize` (bytes,
 * `--image-extra-size`) replaces the root filesystem's headroom, as DIB_IMAGE_EXTRA_SIZE
 * replaces DIB's `du / 0.6`: the root gets what its content needs plus that much; it has no
 * effect with an explicit size, as in DIB.
 */
export function computeGeometry(layout: DiskLayout, content: ReadonlyMap<string, number>, imageSize?: number, extraSize?: number): DiskGeometry {
  // a layout dib cannot make into a disk (LVM volumes) has no geometry either
  const unbuildable = diskProblemError(layout);
  if (unbuildable && layout.lvm) throw unbuildable;
  const wanted = layout.imageSize ?? imageSize;
  if (wanted === undefined) return toDiskEnd(autoGeometry(layout, content, extraSize));
  const g = toDiskEnd(explicitGeometry(layout, content, wanted));
  const short = g.filesystems.filter((f) => f.size < f.minimum);
  if (short.length > 0) {
    let need: number | undefined;
    try {
      need = autoGeometry(layout, content).imageSize;
    } catch {
      need = undefined;
    }
    const what = short
      .map((f) => `${f.mountPoint ?? f.name}${f.partition ? ` (partition ${f.partition})` : ''} gets ${formatBytes(f.size)} but needs at least ${formatBytes(f.minimum)}`)
      .join('; ');
    const fixed = short.filter((f) => {
      const p = layout.partitions.find((x) => x.name === f.partition);
      return p !== undefined && p.size.kind === 'bytes';
    });
    if (fixed.length > 0) {
      throw tooSmall(`${layout.source}: ${what}`, `raise the size of partition ${fixed.map((f) => `'${f.partition}'`).join(', ')} in the block-device config`);
    }
    throw tooSmall(`image size ${formatBytes(wanted)} is too small: ${what}${need ? `; an image of ${formatBytes(need)} fits` : ''}`);
  }
  return g;
}

/**
 * DIB's extended partition reaches the end of the disk (upstream's test_one_ext_partition:
 * `1 2048 2097151 0xf`), so growpart can grow a logical root.
 */
function toDiskEnd(g: DiskGeometry): DiskGeometry {
  if (g.extended) g.extended.size = g.imageSize - g.extended.start;
  return g;
}

function fsOfPartition(layout: DiskLayout, p: LayoutPartition): LayoutFilesystem | undefined {
  return layout.filesystems.find((f) => f.partition === p.name);
}

function unitOf(layout: DiskLayout): number {
  return layout.table === 'gpt' ? MiB : layout.align;
}

/** The size of a filesystem sized from its content: headroom, or `extra` free space for the root. */
function autoFsSize(fs: LayoutFilesystem, c: number, extra: number | undefined): number {
  if (extra === undefined || fs.mountPoint !== '/') return suggestedFsSize(fs, c);
  return minimumFsSize(fs, c, extra);
}

function autoGeometry(layout: DiskLayout, content: ReadonlyMap<string, number>, extra?: number): DiskGeometry {
  if (layout.table === 'none') {
    const fs = layout.filesystems[0]!;
    const c = contentOf(fs, content);
    const size = autoFsSize(fs, c, extra);
    return { imageSize: size, table: 'none', partitions: [], filesystems: [{ ...fsBase(fs), offset: 0, size, minimum: minimumFsSize(fs, c) }] };
  }
  const unit = unitOf(layout);
  const sizes = layout.partitions.map((p) => {
    if (p.size.kind === 'bytes') return Math.max(alignDown(p.size.bytes, unit), unit);
    const fs = fsOfPartition(layout, p);
    if (!fs || fs.type === 'swap') {
      throw new DibError('E_DISK', `${layout.source}: partition '${p.name}' has size ${p.size.percent}% and no content to size it from`, {
        hint: `give partition '${p.name}' an absolute size (e.g. '1GiB') or set imageSize / --image-size`,
      });
    }
    return alignUp(autoFsSize(fs, contentOf(fs, content), extra), unit);
  });
  return place(layout, content, sizes, Infinity);
}

function explicitGeometry(layout: DiskLayout, content: ReadonlyMap<string, number>, imageSize: number): DiskGeometry {
  if (layout.table === 'none') {
    const fs = layout.filesystems[0]!;
    const size = alignDown(imageSize, 4 * KiB);
    return { imageSize: size, table: 'none', partitions: [], filesystems: [{ ...fsBase(fs), offset: 0, size, minimum: minimumFsSize(fs, contentOf(fs, content)) }] };
  }
  const total = alignDown(imageSize, 512);
  const limit = alignDown(total - (layout.table === 'gpt' ? GPT_TAIL : 0), unitOf(layout));
  const g = place(layout, content, layout.partitions.map((p) => p.size), limit);
  g.imageSize = total;
  return g;
}

function fsBase(fs: LayoutFilesystem): Pick<FilesystemGeometry, 'name' | 'mountPoint' | 'partition'> {
  const b: Pick<FilesystemGeometry, 'name' | 'mountPoint' | 'partition'> = { name: fs.name };
  if (fs.mountPoint !== undefined) b.mountPoint = fs.mountPoint;
  if (fs.partition !== undefined) b.partition = fs.partition;
  return b;
}

type Want = number | { kind: 'bytes'; bytes: number } | { kind: 'percent'; percent: number };

function place(layout: DiskLayout, content: ReadonlyMap<string, number>, wants: Want[], limit: number): DiskGeometry {
  const unit = unitOf(layout);
  const first = layout.table === 'gpt' ? MiB : layout.align;
  let cursor = first;
  const parts: PartitionGeometry[] = [];
  let extended: DiskGeometry['extended'];
  let filler: string | undefined;
  layout.partitions.forEach((p, i) => {
    let start: number;
    if (p.logical) {
      if (!extended) {
        const primaries = layout.partitions.filter((x) => !x.logical).length;
        extended = { number: primaries + 1, start: alignUp(cursor, unit), size: 0 };
        cursor = extended.start;
      }
      // the EBR takes the first aligned unit; the data starts one unit later
      start = alignUp(cursor, unit) + unit;
    } else start = alignUp(cursor, unit);
    const free = limit - start;
    const w = wants[i]!;
    let size: number;
    if (typeof w === 'number') size = w;
    else if (w.kind === 'bytes') size = Math.max(alignDown(w.bytes, unit), unit);
    else size = alignDown(w.percent >= 100 ? free : (free * w.percent) / 100, unit);
    if (size <= 0 || start + size > limit) {
      if (filler) {
        throw new DibError('E_DISK', `${layout.source}: ${p.path}: partition '${p.name}' has no space left: partition '${filler}' before it takes 100% of the free space`, {
          hint: `give '${filler}' a smaller share (e.g. '50%') or move it last`,
        });
      }
      throw tooSmall(`image size ${formatBytes(limit + (layout.table === 'gpt' ? GPT_TAIL : 0))} is too small for the partitions: '${p.name}' (${typeof w === 'number' ? formatBytes(w) : w.kind === 'bytes' ? formatBytes(w.bytes) : `${w.percent}%`}) does not fit`);
    }
    if (typeof w !== 'number' && w.kind === 'percent' && w.percent >= 100) filler = p.name;
    parts.push({ name: p.name, number: p.number, start, size, logical: p.logical });
    cursor = start + size;
    if (p.logical && extended) extended.size = cursor - extended.start;
  });
  const end = cursor;
  const imageSize = Number.isFinite(limit) ? limit : alignUp(end + (layout.table === 'gpt' ? GPT_TAIL : 0), MiB);
  if (layout.table === 'mbr' && imageSize > MBR_MAX_BYTES) {
    throw new DibError('E_DISK', `${layout.source}: an MBR disk cannot address ${formatBytes(imageSize)} (2 TiB at most)`, { hint: 'use a gpt partition table (block-device-gpt or block-device-efi)' });
  }
  const filesystems: FilesystemGeometry[] = [];
  for (const fs of layout.filesystems) {
    const pg = parts.find((x) => x.name === fs.partition)!;
    filesystems.push({ ...fsBase(fs), offset: pg.start, size: pg.size, minimum: minimumFsSize(fs, contentOf(fs, content)) });
  }
  const g: DiskGeometry = { imageSize, table: layout.table, partitions: parts, filesystems };
  if (extended) g.extended = extended;
  return g;
}
