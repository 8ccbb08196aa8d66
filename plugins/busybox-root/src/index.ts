import { defineElement } from '@dib/core';

/** A tiny network-free root made from the host busybox-static (tests and demos). */
export default defineElement({
  name: 'busybox-root',
  description: 'A tiny network-free root made from the host busybox-static (tests and demos).',
  deps: [],
  provides: ['operating-system'],
});
