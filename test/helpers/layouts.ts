/** Block-device layouts the disk tests share (DIB's block-device YAML, as arrays). */

/** GPT: a 16 MiB ESP (vfat, /boot/efi), a 1 MiB BIOS boot partition, ext4 root, 8 MiB swap. */
export const SMALL_EFI = [
  { local_loop: { name: 'image0' } },
  {
    partitioning: {
      base: 'image0',
      label: 'gpt',
      partitions: [
        { name: 'ESP', type: 'EF00', size: '16MiB', mkfs: { type: 'vfat', mount: { mount_point: '/boot/efi', fstab: { options: 'defaults', 'fsck-passno': 2 } } } },
        { name: 'BSP', type: 'EF02', size: '1MiB' },
        { name: 'root', type: '8300', size: '100%', mkfs: { type: 'ext4', mount: { mount_point: '/', fstab: { options: 'defaults', 'fsck-passno': 1 } } } },
        { name: 'swap', type: '8200', size: '8MiB', mkfs: { type: 'swap', mount: { mount_point: 'none', fstab: {} } } },
      ],
    },
  },
];
