import { defineElement } from '@dib/core';

/** Baseline of every image: init system, install types, manifests, package installs. */
export default defineElement({
  name: 'base',
  description: 'Baseline of every image: init system, install types, manifests, package installs.',
  deps: ['dib-init-system', 'install-types', 'manifests', 'package-installs', 'pkg-map'],
  provides: [],
});
