// The default image: a Debian 12 (bookworm) virtual machine that boots under UEFI and BIOS.
// Build it with `sudo npm run quickstart` (or `dib build` once set up); see README.md.
import { defineConfig } from '@dib/core';

export default defineConfig({
  // vm: a partitioned, bootable disk; block-device-efi: GPT with an ESP and a BIOS boot
  // partition (hybrid: UEFI and legacy BIOS); debian-minimal: the operating system.
  elements: ['vm', 'block-device-efi', 'debian-minimal'],
  name: 'debian-bookworm',
  types: ['qcow2'],
  env: {
    // pin the release so the image does not change when Debian's "stable" moves
    DIB_RELEASE: 'bookworm',
  },
});
