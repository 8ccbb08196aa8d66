import { defineElement } from '@dib/core';

/** A partitioned, bootable virtual-machine disk. */
export default defineElement({
  name: 'vm',
  description: 'A partitioned, bootable virtual-machine disk.',
  deps: ['block-device', 'bootloader'],
  provides: [],
});
