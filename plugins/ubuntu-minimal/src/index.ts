import { defineElement } from '@dib/core';

/** A minimal Ubuntu root. */
export default defineElement({
  name: 'ubuntu-minimal',
  description: 'A minimal Ubuntu root.',
  deps: ['debootstrap', 'package-installs'],
  provides: ['operating-system'],
});
