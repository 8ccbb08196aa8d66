import { DibError, defineElement, type BlockDeviceConfig, type Env } from '@dib/core';

const isArm64 = (arch: string | undefined) => /^(arm64|aarch64)$/.test(arch ?? '');
const isPpc = (arch: string | undefined) => /ppc64/.test(arch ?? '');

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
export default defineElement({
  name: 'block-device-gpt',
  description: 'GPT partition table with a BIOS boot partition and an ext4 root partition (DIB_BLOCK_DEVICE=gpt).',
  deps: [],
  provides: ['block-device'],
  environment: (env: Readonly<Env>): Env => {
    if (isArm64(env.ARCH)) {
      throw new DibError('E_ELEMENT_INVALID', `block-device-gpt does not support ARCH=${env.ARCH}`, { hint: 'use block-device-efi on arm64' });
    }
    return { DIB_BLOCK_DEVICE: 'gpt' };
  },
  blockDevice: (env) => (isPpc(env.ARCH) ? GPT_PPC64EL_LAYOUT : GPT_LAYOUT),
  hostTools: [{ command: 'sfdisk', package: 'fdisk', why: 'writes the partition table on the image file' }],
});
