import { defineElement } from '@dib/core';

/** GPT partition table with a BIOS boot partition and a root partition. */
export default defineElement({
  name: 'block-device-gpt',
  description: 'GPT partition table with a BIOS boot partition and a root partition.',
  deps: [],
  provides: ['block-device'],
});
