/**
 * What dib knows about the software in an image, for its bill of materials: the packages the
 * OS family's element reads from the image's package database (dpkg's status file), the
 * image's os-release, the outputs with their sha256, and the tools (dib and the element
 * packages) that made it. Public API: elements fill an ImageInventory through
 * `getImageHooks(build).inventory`.
 */

/** One installed package, as its package manager records it. */
export interface InventoryPackage {
  /** the package manager: `deb`, `rpm`, `apk` (the purl type) */
  type: string;
  name: string;
  version: string;
  /** the package's architecture (`amd64`, `all`) */
  arch?: string;
  /** the source package it was built from */
  source?: { name: string; version?: string };
  /** SPDX licence expression (SPDX ids and `LicenseRef-…`), when the package states it machine-readably */
  license?: string;
  /** package URL: `pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12` */
  purl: string;
  /** who distributes it (`Debian`) */
  supplier?: string;
  /** the package's maintainer, as recorded (`Name <mail>`) */
  maintainer?: string;
  /** one-line description */
  summary?: string;
  homepage?: string;
}

/** A licence named by a `LicenseRef-` id in some package's expression. */
export interface LicenseRef {
  /** the name the package uses for it (`public-domain`, `GPL-2+ with OpenSSL exception`) */
  name: string;
  /** its text, or where to read it */
  text: string;
}

export interface ImageInventory {
  packages: InventoryPackage[];
  /** `LicenseRef-…` id → what it stands for */
  licenseRefs: Record<string, LicenseRef>;
  /** where the packages were read from (`/var/lib/dpkg/status`), for the documents' comments */
  sources: string[];
}

/** The image's `/etc/os-release` (or `/usr/lib/os-release`) as KEY → value. */
export type OsRelease = Readonly<Record<string, string>>;

/** A tool that made the image: dib itself, or an element (package or DIB element directory). */
export interface SbomTool {
  name: string;
  version?: string;
  /** npm package name of an element package */
  package?: string;
  kind: 'dib' | 'element';
}

export interface SbomOutput {
  /** file name of the output (`debian.qcow2`) */
  name: string;
  format: string;
  sha256: string;
  bytes: number;
}

/** Everything both documents are made from. */
export interface SbomInput {
  /** the image's name (basename of the output base) */
  name: string;
  /** document creation time (SOURCE_DATE_EPOCH when the build has one) */
  created: Date;
  os: OsRelease;
  outputs: SbomOutput[];
  tools: SbomTool[];
  inventory: ImageInventory;
}
