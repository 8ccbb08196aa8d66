import test from 'ava';
import { DibError } from '@dib/core';
import { patchMbr, patchCoreImage, biosBootPlacement, checkBiosImages, KERNEL_SECTOR_OFFSET, BLOCKLIST_OFFSET, DRIVE_CHECK_OFFSET } from '#core/disk/bios-boot.js';
import { planLayout } from '#core/disk/layout.js';
import { computeGeometry } from '#core/disk/geometry.js';
import { EFI_LAYOUT } from '@dib/element-block-device-efi';
import { MBR_LAYOUT } from '@dib/element-block-device-mbr';

const MiB = 1024 ** 2;

function fakeBootImg(): Buffer {
  const b = Buffer.alloc(512, 0xcc);
  b[510] = 0x55;
  b[511] = 0xaa;
  return b;
}
function fakeCore(sectors: number): Buffer {
  const c = Buffer.alloc(sectors * 512, 0x11);
  c.writeBigUInt64LE(2n, 500);
  c.writeUInt16LE(0, 508);
  c.writeUInt16LE(0x820, 510);
  return c;
}

test('patchMbr keeps the disk signature and partition table, sets the core LBA and NOPs the drive check', (t) => {
  const mbr = Buffer.alloc(512);
  mbr.fill(0xab, 440); // disk signature + table
  const out = patchMbr(mbr, fakeBootImg(), 2048);
  t.is(out.readBigUInt64LE(KERNEL_SECTOR_OFFSET), 2048n);
  t.is(out[DRIVE_CHECK_OFFSET], 0x90);
  t.is(out[DRIVE_CHECK_OFFSET + 1], 0x90);
  t.deepEqual(out.subarray(440, 510), mbr.subarray(440, 510));
  t.is(out[0], 0xcc);
  t.is(out[510], 0x55);
  t.is(out[511], 0xaa);
  t.is(mbr[0], 0); // input untouched
});

test('patchCoreImage points the first blocklist at the rest of the core', (t) => {
  const core = fakeCore(300);
  const out = patchCoreImage(core, 1128448);
  t.is(out.readBigUInt64LE(BLOCKLIST_OFFSET), 1128449n);
  t.is(out.readUInt16LE(BLOCKLIST_OFFSET + 8), 299);
  t.is(out.readUInt16LE(BLOCKLIST_OFFSET + 10), 0x820);
  t.is(out.length, core.length);
  // a partial last sector still counts
  t.is(patchCoreImage(Buffer.concat([core, Buffer.alloc(10)]), 1).readUInt16LE(BLOCKLIST_OFFSET + 8), 300);
});

test('checkBiosImages rejects files that are not GRUB images', (t) => {
  t.notThrows(() => checkBiosImages(fakeBootImg(), fakeCore(4)));
  t.throws(() => checkBiosImages(Buffer.alloc(512), fakeCore(4)), { message: /boot.img/ });
  t.throws(() => checkBiosImages(fakeBootImg(), Buffer.alloc(2048)), { message: /core.img/ });
});

test('placement: GPT BIOS boot partition, MBR gap, errors', (t) => {
  const efi = planLayout(EFI_LAYOUT, 'x', { fsType: 'ext4', arch: 'amd64' });
  const ge = computeGeometry(efi, new Map([['/', 0]]), 2 * 1024 * MiB);
  t.deepEqual(biosBootPlacement(efi, ge, 200_000), { offset: 551 * MiB, room: 8 * MiB });
  const e = t.throws(() => biosBootPlacement(efi, ge, 9 * MiB)) as DibError;
  t.is(e.code, 'E_DISK');
  t.regex(e.message, /does not fit in BIOS boot partition 'BSP'/);
  const mbr = planLayout(MBR_LAYOUT, 'x', { fsType: 'ext4', arch: 'amd64' });
  const gm = computeGeometry(mbr, new Map([['/', 0]]), 1024 * MiB);
  t.deepEqual(biosBootPlacement(mbr, gm, 200_000), { offset: 512, room: MiB - 512 });
  t.throws(() => biosBootPlacement(mbr, gm, MiB), { message: /between the MBR and the first partition/ });
  const noBsp = planLayout(
    [{ local_loop: { name: 'image0' } }, { partitioning: { base: 'image0', label: 'gpt', partitions: [{ name: 'root', size: '100%', mkfs: { type: 'ext4', mount: { mount_point: '/' } } }] } }],
    'y',
    { fsType: 'ext4', arch: 'amd64' },
  );
  t.throws(() => biosBootPlacement(noBsp, computeGeometry(noBsp, new Map(), 1024 * MiB), 1000), { message: /no BIOS boot partition \(type EF02\)/ });
  const plain = planLayout(undefined, 'z', { fsType: 'ext4', arch: 'amd64' });
  t.throws(() => biosBootPlacement(plain, computeGeometry(plain, new Map(), 256 * MiB), 1000), { message: /no partition table/ });
});
