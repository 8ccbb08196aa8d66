import { defineElement } from '@dib/core';

/** Validates DIB_INIT_SYSTEM and installs init-system specific files. */
export default defineElement({
  name: 'dib-init-system',
  description: 'Validates DIB_INIT_SYSTEM and installs init-system specific files.',
  deps: [],
  provides: [],
});
