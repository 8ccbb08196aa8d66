import { defineElement } from '@dib/core';

/** Collects build manifests in /etc/dib-manifests and copies them next to the image. */
export default defineElement({
  name: 'manifests',
  description: 'Collects build manifests in /etc/dib-manifests and copies them next to the image.',
  deps: [],
  provides: [],
});
