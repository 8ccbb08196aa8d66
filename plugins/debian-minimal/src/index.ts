import { defineElement } from '@dib/core';

/** A minimal Debian root. */
export default defineElement({
  name: 'debian-minimal',
  description: 'A minimal Debian root.',
  deps: ['debootstrap', 'pkg-map'],
  provides: ['operating-system'],
});
