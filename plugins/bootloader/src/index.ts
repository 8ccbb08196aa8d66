import { defineElement } from '@dib/core';

/** Installs GRUB for BIOS and UEFI from the target own packages. */
export default defineElement({
  name: 'bootloader',
  description: 'Installs GRUB for BIOS and UEFI from the target own packages.',
  deps: [],
  provides: [],
});
