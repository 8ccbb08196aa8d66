import { defineElement } from '@dib/core';

/** Installs element bin/ tools into /usr/local/bin of the image. */
export default defineElement({
  name: 'install-bin',
  description: 'Installs element bin/ tools into /usr/local/bin of the image.',
  deps: [],
  provides: [],
});
