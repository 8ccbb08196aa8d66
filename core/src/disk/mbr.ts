/**
 * An MBR partition table written by dib itself, as DIB writes its own (sfdisk stops at 60
 * partitions; DIB's tests build 64 logical ones): primaries in the MBR, one extended (0x0F,
 * LBA) entry reaching the end of the disk, and a chain of extended boot records, one per
 * logical partition, each one alignment unit before its partition. CHS values use DIB's
 * geometry (254 heads, 63 sectors per track), saturated past cylinder 1023. Pure: returns the
 * sectors to write.
 */
import type { DiskGeometry } from './geometry.js';
import type { DiskLayout } from './layout.js';

const SECTOR = 512;
const HEADS = 254;
const SECTORS = 63;
const TABLE_OFFSET = 446;
const DISK_ID_OFFSET = 440;
/** an EBR's link to the next one */
const EXTENDED_LINK_TYPE = 0x05;
/** the extended partition in the MBR (LBA) */
const EXTENDED_TYPE = 0x0f;

export interface SectorWrite {
  /** byte offset in the image */
  offset: number;
  data: Buffer;
}

/** CHS address of an LBA, as the three bytes of a partition entry. */
export function chs(lba: number): [number, number, number] {
  let c = Math.floor(lba / (HEADS * SECTORS));
  let h = Math.floor(lba / SECTORS) % HEADS;
  let s = (lba % SECTORS) + 1;
  if (c > 1023) {
    c = 1023;
    h = 254;
    s = 63;
  }
  return [h, (s & 0x3f) | ((c >> 2) & 0xc0), c & 0xff];
}

function writeEntry(buf: Buffer, index: number, e: { boot: boolean; type: number; start: number; sectors: number; chsStart: number }): void {
  const o = TABLE_OFFSET + index * 16;
  buf[o] = e.boot ? 0x80 : 0;
  Buffer.from(chs(e.chsStart)).copy(buf, o + 1);
  buf[o + 4] = e.type;
  Buffer.from(chs(e.chsStart + e.sectors - 1)).copy(buf, o + 5);
  buf.writeUInt32LE(e.start, o + 8);
  buf.writeUInt32LE(e.sectors, o + 12);
}

function signed(buf: Buffer): Buffer {
  buf[510] = 0x55;
  buf[511] = 0xaa;
  return buf;
}

/**
 * The MBR (the boot code area left zero: the bootloader's boot.img goes there later) and one EBR
 * per logical partition. `diskId` is the 32-bit disk signature.
 */
export function mbrSectors(layout: DiskLayout, geometry: DiskGeometry, diskId: number): SectorWrite[] {
  if (layout.table !== 'mbr') throw new Error('mbrSectors: the layout has no MBR table');
  const unit = layout.align;
  const mbr = Buffer.alloc(SECTOR);
  mbr.writeUInt32LE(diskId >>> 0, DISK_ID_OFFSET);
  const writes: SectorWrite[] = [{ offset: 0, data: mbr }];
  const geo = (name: string) => geometry.partitions.find((g) => g.name === name)!;
  const primaries = layout.partitions.filter((p) => !p.logical);
  for (const p of primaries) {
    const g = geo(p.name);
    writeEntry(mbr, p.number - 1, { boot: p.flags.boot, type: parseInt(p.type, 16), start: g.start / SECTOR, sectors: g.size / SECTOR, chsStart: g.start / SECTOR });
  }
  const logicals = layout.partitions.filter((p) => p.logical);
  if (logicals.length > 0) {
    const ext = geometry.extended!;
    const extStart = ext.start / SECTOR;
    writeEntry(mbr, ext.number - 1, { boot: false, type: EXTENDED_TYPE, start: extStart, sectors: ext.size / SECTOR, chsStart: extStart });
    logicals.forEach((p, i) => {
      const g = geo(p.name);
      const ebrLba = (g.start - unit) / SECTOR;
      const ebr = Buffer.alloc(SECTOR);
      writeEntry(ebr, 0, { boot: p.flags.boot, type: parseInt(p.type, 16), start: g.start / SECTOR - ebrLba, sectors: g.size / SECTOR, chsStart: g.start / SECTOR });
      const next = logicals[i + 1];
      if (next) {
        const ng = geo(next.name);
        const nextEbr = (ng.start - unit) / SECTOR;
        writeEntry(ebr, 1, { boot: false, type: EXTENDED_LINK_TYPE, start: nextEbr - extStart, sectors: (ng.start + ng.size) / SECTOR - nextEbr, chsStart: nextEbr });
      }
      writes.push({ offset: ebrLba * SECTOR, data: signed(ebr) });
    });
  }
  signed(mbr);
  return writes;
}
