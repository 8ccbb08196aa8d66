import { defineBlockDeviceElement, type BlockDeviceConfig } from '@dib/core';

const root = {
  name: 'root',
  type: '8300',
  size: '100%',
  mkfs: { type: 'ext4', mount: { mount_point: '/', fstab: { options: 'defaults', 'fsck-passno': 1 } } },
};

/** DIB's block-device-default.yaml: an 8 MiB BIOS boot partition (EF02) and an ext4 root. */
export const GPT_LAYOUT: BlockDeviceConfig = [
  { local_loop: { name: 'image0' } },
  { partitioning: { base: 'image0', label: 'gpt', partitions: [{ name: 'BSP', type: 'EF02', size: '8MiB' }, root] } },
];

/** DIB's block-device-ppc64el.yaml: an 8 MiB PReP boot partition (4100) and root. */
export const GPT_PPC64EL_LAYOUT: BlockDeviceConfig = [
  { local_loop: { name: 'image0' } },
  { partitioning: { base: 'image0', label: 'gpt', partitions: [{ name: 'boot', type: '0x4100', size: '8MiB' }, root] } },
];

/** GPT partition table with a BIOS boot partition and a root partition. */
export default defineBlockDeviceElement({
  name: 'block-device-gpt',
  description: 'GPT partition table with a BIOS boot partition and an ext4 root partition (DIB_BLOCK_DEVICE=gpt).',
  kind: 'gpt',
  refuse: { families: ['arm64'], hint: 'use block-device-efi on arm64' },
  layout: (family) => (family === 'ppc' ? GPT_PPC64EL_LAYOUT : GPT_LAYOUT),
});
