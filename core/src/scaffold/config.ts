/** The commented `dib.config.ts` that `dib init` writes. */

export interface ConfigTemplateOptions {
  elements?: string[];
  types?: string[];
  name?: string;
}

const q = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

export function configTemplate(o: ConfigTemplateOptions = {}): string {
  const elements = o.elements?.length ? o.elements : ['vm', 'debian-minimal'];
  const types = o.types?.length ? o.types : ['qcow2'];
  const name = o.name ?? 'image';
  const debian = elements.includes('debian-minimal');
  return `// dib.config.ts: what \`dib build\` builds in this directory (written by \`dib init\`).
// Command-line options override these keys; see \`dib build --help\` and \`dib doctor\`.
import { defineConfig } from '@dib/core';

export default defineConfig({
  // Elements, as disk-image-create takes them: one operating-system element
  // (debian-minimal, ubuntu-minimal, busybox-root) plus what the image needs.
  // 'vm' makes a bootable disk: partition table, bootloader, kernel.
  // Elements are resolved as ./paths, npm packages (dib-element-<name>, installed next to
  // this file) or DIB-style element directories on elementsPath.
  elements: [${elements.map(q).join(', ')}],

  // Output base name (-o), relative to this file: ${name}.${types[0]}
  name: ${q(name)},

  // Output types (-t): raw, qcow2, vhd, tar, tgz, squashfs.
  types: [${types.map(q).join(', ')}],

  // Build variables, as you would export them for diskimage-builder.
  env: {
${debian ? "    DIB_RELEASE: 'bookworm',\n" : "    // DIB_RELEASE: 'bookworm',\n"}    // DIB_DISTRIBUTION_MIRROR: 'http://deb.debian.org/debian',
    // DIB_DEV_USER_USERNAME: 'devuser',
  },

  // Extra packages installed after the install phase (-p).
  // packages: ['openssh-server'],

  // Image size (--image-size): GiB as a number, or a string with a unit. Default: from the tree.
  // imageSize: '4GiB',

  // Write .md5 and .sha256 next to each image (--checksum).
  // checksum: true,

  // Where build directories are made and downloads are cached
  // (defaults: the temp dir and ~/.cache/dib).
  // workDir: '/var/tmp',
  // cacheDir: '/var/cache/dib',

  // Directories holding DIB-style elements (element-deps, install.d/…), searched by name.
  // elementsPath: ['./elements'],

  // Append the timestamped log to a file (--logfile).
  // logfile: 'build.log',
});
`;
}
