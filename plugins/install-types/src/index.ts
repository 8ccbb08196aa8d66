import { defineElement } from '@dib/core';

/** Selects install-type alternatives (source, package, …) for install taps. */
export default defineElement({
  name: 'install-types',
  description: 'Selects install-type alternatives (source, package, …) for install taps.',
  deps: [],
  provides: [],
});
