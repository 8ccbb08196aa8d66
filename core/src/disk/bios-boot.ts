/**
 * BIOS boot without grub-bios-setup: put GRUB's i386-pc boot.img into the MBR's boot code
 * and core.img into the BIOS boot partition (GPT, type EF02) or the gap after the MBR, and
 * write the two pointers grub-bios-setup would: the core image's first sector (LBA) in
 * boot.img, and the blocklist for the rest of core.img in core.img's first sector
 * (diskboot.img). Pure functions on buffers, plus the placement rule.
 */
import { DibError } from '../errors.js';
import type { DiskGeometry } from './geometry.js';
import type { DiskLayout } from './layout.js';

export const SECTOR = 512;
/** MBR boot code area: bytes before the disk signature at 0x1b8. */
export const BOOT_CODE_SIZE = 0x1b8;
/** boot.img: where the 64-bit LBA of core.img's first sector goes. */
export const KERNEL_SECTOR_OFFSET = 0x5c;
/** boot.img: 2-byte jump that skips the boot-drive check; NOPed for hard disks. */
export const DRIVE_CHECK_OFFSET = 0x66;
/** diskboot.img: the first blocklist entry, 12 bytes at the end of the sector. */
export const BLOCKLIST_OFFSET = SECTOR - 12;
/** segment the first blocklist loads to (GRUB_BOOT_I386_PC_KERNEL_SEG + 0x20) */
export const BLOCKLIST_SEGMENT = 0x820;

export interface BiosBootFiles {
  /** host path of GRUB's i386-pc boot.img (512 bytes) */
  bootImg: string;
  /** host path of the core.img made by `grub-mkimage -O i386-pc` */
  coreImg: string;
}

function bootError(message: string, hint: string): DibError {
  return new DibError('E_DISK', message, { hint });
}

/** Check the shape of boot.img and core.img. */
export function checkBiosImages(bootImg: Buffer, coreImg: Buffer): void {
  if (bootImg.length !== SECTOR || bootImg[510] !== 0x55 || bootImg[511] !== 0xaa) {
    throw bootError(`boot.img is not a 512-byte GRUB boot sector (${bootImg.length} bytes)`, 'use /usr/lib/grub/i386-pc/boot.img from the target');
  }
  if (coreImg.length < 2 * SECTOR || coreImg.readUInt16LE(BLOCKLIST_OFFSET + 10) !== BLOCKLIST_SEGMENT) {
    throw bootError('core.img does not look like a GRUB i386-pc core image (no diskboot blocklist)', "make it with 'grub-mkimage -O i386-pc'");
  }
}

/** boot.img's code (first 440 bytes) put into an existing MBR sector, with the core's LBA. */
export function patchMbr(mbr: Buffer, bootImg: Buffer, coreLba: number): Buffer {
  if (mbr.length !== SECTOR) throw new Error('patchMbr: the MBR must be 512 bytes');
  const out = Buffer.from(mbr);
  bootImg.copy(out, 0, 0, BOOT_CODE_SIZE);
  out.writeBigUInt64LE(BigInt(coreLba), KERNEL_SECTOR_OFFSET);
  // grub-bios-setup on a hard disk: don't trust the BIOS's drive number check
  out[DRIVE_CHECK_OFFSET] = 0x90;
  out[DRIVE_CHECK_OFFSET + 1] = 0x90;
  out[510] = 0x55;
  out[511] = 0xaa;
  return out;
}

/** core.img with its first blocklist pointing at the sectors after its first one. */
export function patchCoreImage(coreImg: Buffer, coreLba: number): Buffer {
  const out = Buffer.from(coreImg);
  const rest = Math.ceil(coreImg.length / SECTOR) - 1;
  if (rest > 0xffff) throw new Error('patchCoreImage: core.img is too large');
  out.writeBigUInt64LE(BigInt(coreLba + 1), BLOCKLIST_OFFSET);
  out.writeUInt16LE(rest, BLOCKLIST_OFFSET + 8);
  out.writeUInt16LE(BLOCKLIST_SEGMENT, BLOCKLIST_OFFSET + 10);
  return out;
}

/** Where core.img goes: the GPT BIOS boot partition, or the gap after the MBR. */
export function biosBootPlacement(layout: DiskLayout, geometry: DiskGeometry, coreSize: number): { offset: number; room: number } {
  if (layout.table === 'gpt') {
    const p = layout.partitions.find((x) => x.biosBoot);
    if (!p) throw bootError(`${layout.source}: the GPT layout has no BIOS boot partition (type EF02) for GRUB's core image`, "add a partition { name: 'BSP', type: 'EF02', size: '8MiB' } or use block-device-efi / block-device-gpt");
    const g = geometry.partitions.find((x) => x.name === p.name)!;
    if (coreSize > g.size) throw bootError(`GRUB's core image (${coreSize} bytes) does not fit in BIOS boot partition '${p.name}' (${g.size} bytes)`, `make partition '${p.name}' larger (8MiB is usual)`);
    return { offset: g.start, room: g.size };
  }
  if (layout.table === 'mbr') {
    const first = Math.min(...geometry.partitions.map((x) => x.start), geometry.extended?.start ?? Infinity);
    const room = first - SECTOR;
    if (coreSize > room) throw bootError(`GRUB's core image (${coreSize} bytes) does not fit in the ${room} bytes between the MBR and the first partition`, "raise the partitioning 'align' (1MiB leaves room)");
    return { offset: SECTOR, room };
  }
  throw bootError(`${layout.source}: the image has no partition table, so it cannot boot with BIOS GRUB`, 'use a partitioned layout (block-device-mbr, -gpt or -efi)');
}
