import { defineElement } from '@dib/core';

/**
 * A partitioned, bootable virtual-machine disk: a block-device layout plus the bootloader.
 * As in DIB, when `vm` is given without a block-device-* element the core adds
 * block-device-mbr (block-device-efi on arm64).
 */
export default defineElement({
  name: 'vm',
  description: 'A partitioned, bootable virtual-machine disk (block-device layout + bootloader).',
  deps: ['block-device', 'bootloader'],
  provides: [],
});
