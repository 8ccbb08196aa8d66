import { defineBlockDeviceElement, type BlockDeviceConfig } from '@dib/core';

const fstabRoot = { mount: { mount_point: '/', fstab: { options: 'defaults', 'fsck-passno': 1 } } };

/** DIB's block-device-default.yaml: MBR, one bootable primary root partition filling the disk. */
export const MBR_LAYOUT: BlockDeviceConfig = [
  { local_loop: { name: 'image0' } },
  {
    partitioning: {
      base: 'image0',
      label: 'mbr',
      partitions: [{ name: 'root', flags: ['boot', 'primary'], size: '100%', mkfs: { ...fstabRoot } }],
    },
  },
];

/** DIB's block-device-ppc64el.yaml: an 8 MiB PReP boot partition, then root. */
export const MBR_PPC64EL_LAYOUT: BlockDeviceConfig = [
  { local_loop: { name: 'image0' } },
  {
    partitioning: {
      base: 'image0',
      label: 'mbr',
      partitions: [
        { name: 'boot', flags: ['boot', 'primary'], type: '0x41', size: '8MiB' },
        { name: 'root', flags: ['primary'], size: '100%', mkfs: { ...fstabRoot } },
      ],
    },
  },
];

/** MBR partition table with one root partition. */
export default defineBlockDeviceElement({
  name: 'block-device-mbr',
  description: 'MBR partition table with one bootable root partition (DIB_BLOCK_DEVICE=mbr).',
  kind: 'mbr',
  refuse: { families: ['arm64'], hint: 'use block-device-efi on arm64' },
  layout: (family) => (family === 'ppc' ? MBR_PPC64EL_LAYOUT : MBR_LAYOUT),
});
