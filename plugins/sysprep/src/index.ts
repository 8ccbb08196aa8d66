import { defineElement } from '@dib/core';

/** Prepares the image for first boot (machine-id). */
export default defineElement({
  name: 'sysprep',
  description: 'Prepares the image for first boot (machine-id).',
  deps: [],
  provides: [],
});
