import { defineElement } from '@dib/core';

/** Maps generic package names to distribution package names. */
export default defineElement({
  name: 'pkg-map',
  description: 'Maps generic package names to distribution package names.',
  deps: [],
  provides: [],
});
