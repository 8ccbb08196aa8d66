import { defineElement } from '@dib/core';

/** apt/dpkg support: build-time diversions, apt keys, package installation, dpkg manifest. */
export default defineElement({
  name: 'dpkg',
  description: 'apt/dpkg support: build-time diversions, apt keys, package installation, dpkg manifest.',
  deps: ['install-bin', 'manifests', 'package-installs'],
  provides: [],
});
