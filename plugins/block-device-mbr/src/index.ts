import { defineElement } from '@dib/core';

/** MBR partition table with one root partition. */
export default defineElement({
  name: 'block-device-mbr',
  description: 'MBR partition table with one root partition.',
  deps: [],
  provides: ['block-device'],
});
