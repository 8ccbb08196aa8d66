import { defineElement } from '@dib/core';

/** Installs and removes the packages elements ask for, at DIB points in each phase. */
export default defineElement({
  name: 'package-installs',
  description: 'Installs and removes the packages elements ask for, at DIB points in each phase.',
  deps: ['install-bin', 'pkg-map'],
  provides: [],
});
