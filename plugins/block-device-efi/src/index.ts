import { defineElement } from '@dib/core';

/** GPT with an EFI system partition, a BIOS boot partition and root (hybrid boot). */
export default defineElement({
  name: 'block-device-efi',
  description: 'GPT with an EFI system partition, a BIOS boot partition and root (hybrid boot).',
  deps: [],
  provides: ['block-device'],
});
