import { defineElement } from '@dib/core';

/** Bootstraps a Debian-family root with mmdebstrap or debootstrap. */
export default defineElement({
  name: 'debootstrap',
  description: 'Bootstraps a Debian-family root with mmdebstrap or debootstrap.',
  deps: ['dpkg', 'pkg-map', 'sysprep'],
  provides: [],
});
