import { defineBlockDeviceElement, type BlockDeviceConfig } from '@dib/core';

/**
 * DIB's block-device-default.yaml: a 550 MiB vfat ESP (EF00) at /boot/efi, an 8 MiB BIOS boot
 * partition (EF02, for the hybrid BIOS install) and an ext4 root filling the disk.
 */
export const EFI_LAYOUT: BlockDeviceConfig = [
  { local_loop: { name: 'image0' } },
  {
    partitioning: {
      base: 'image0',
      label: 'gpt',
      partitions: [
        {
          name: 'ESP',
          type: 'EF00',
          size: '550MiB',
          mkfs: { type: 'vfat', mount: { mount_point: '/boot/efi', fstab: { options: 'defaults', 'fsck-passno': 2 } } },
        },
        { name: 'BSP', type: 'EF02', size: '8MiB' },
        {
          name: 'root',
          type: '8300',
          size: '100%',
          mkfs: { type: 'ext4', mount: { mount_point: '/', fstab: { options: 'defaults', 'fsck-passno': 1 } } },
        },
      ],
    },
  },
];

/** GPT with an EFI system partition, a BIOS boot partition and root (hybrid boot). */
export default defineBlockDeviceElement({
  name: 'block-device-efi',
  description: 'GPT with an EFI system partition, a BIOS boot partition and an ext4 root (DIB_BLOCK_DEVICE=efi, hybrid boot).',
  kind: 'efi',
  refuse: { families: ['ppc'], hint: 'use block-device-mbr or block-device-gpt on ppc64el' },
  layout: () => EFI_LAYOUT,
  hostTools: [
    { command: 'mkfs.vfat', package: 'dosfstools', why: 'makes the EFI system partition' },
    { command: 'mcopy', package: 'mtools', why: 'fills the EFI system partition without mounting it' },
  ],
});
