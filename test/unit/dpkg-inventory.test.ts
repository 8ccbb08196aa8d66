/**
 * The dpkg element's inventory: installed packages from a dpkg status file, licences from
 * machine-readable (DEP-5) copyright files as SPDX expressions, purls with the distro from
 * os-release, and a clear error when the package database is gone.
 */
import test from 'ava';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDibError } from '@dib/core';
import { dep5Expression, dep5License, dpkgInventory, parseDpkgStatus } from '@dib/element-dpkg';
import { tmpDir } from '../helpers/tmp.js';

const STATUS = `Package: bash
Essential: yes
Status: install ok installed
Priority: required
Installed-Size: 7163
Maintainer: Matthias Klose <doko@debian.org>
Architecture: amd64
Multi-Arch: foreign
Source: bash (5.2.15-2)
Version: 5.2.15-2+b7
Description: GNU Bourne Again SHell
 Bash is an sh-compatible command language interpreter.
 .
 More text.
Homepage: http://tiswww.case.edu/php/chet/bash/bashtop.html

Package: less
Status: deinstall ok config-files
Architecture: amd64
Version: 590-2

Package: libc6
Status: install ok installed
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u4
Description: GNU C Library: Shared libraries

Package: half
Status: install reinstreq half-installed
Architecture: amd64
Version: 1

Package: tzdata
Status: hold ok installed
Architecture: all
Version: 2024a-0+deb12u1
`;

const DEP5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: bash
Source: https://ftp.gnu.org/gnu/bash/

Files: *
Copyright: 1987-2022 Free Software Foundation, Inc.
License: GPL-3+

Files: lib/readline/*
Copyright: 1989 FSF
License: GPL-3+ with Bison exception

Files: doc/*
Copyright: 1988 FSF
License: GFDL-NIV-1.3
Comment: no invariant sections

License: GPL-3+
 This program is free software.

License: GFDL-NIV-1.3
 Permission is granted to copy.
 .
 Second paragraph.
`;

test('status: only packages whose files are installed; Source with and without its own version', (t) => {
  const pkgs = parseDpkgStatus(STATUS);
  t.deepEqual(pkgs.map((p) => p.package), ['bash', 'libc6', 'tzdata']);
  t.like(pkgs[0], { version: '5.2.15-2+b7', arch: 'amd64', source: { name: 'bash', version: '5.2.15-2' }, maintainer: 'Matthias Klose <doko@debian.org>', summary: 'GNU Bourne Again SHell', homepage: 'http://tiswww.case.edu/php/chet/bash/bashtop.html' });
  t.deepEqual(pkgs[1]!.source, { name: 'glibc', version: '2.36-9+deb12u4' });
  t.is(pkgs[2]!.source, undefined);
});

test('DEP-5 licence names become SPDX expressions; unknown names LicenseRefs', (t) => {
  const refs = new Map<string, string>();
  t.is(dep5Expression('GPL-2+', refs), 'GPL-2.0-or-later');
  t.is(dep5Expression('LGPL-2.1', refs), 'LGPL-2.1-only');
  t.is(dep5Expression('GPL-2.0+', refs), 'GPL-2.0-or-later');
  t.is(dep5Expression('GPL-3.0-or-later', refs), 'GPL-3.0-or-later');
  t.is(dep5Expression('Expat', refs), 'MIT');
  t.is(dep5Expression('GPL-1+ or Artistic', refs), 'GPL-1.0-or-later OR Artistic-1.0-Perl');
  t.is(dep5Expression('BSD-3-clause and GPL-2', refs), 'BSD-3-Clause AND GPL-2.0-only');
  t.is(dep5Expression('GPL-2+ or Artistic, and BSD-2-clause', refs), '(GPL-2.0-or-later OR Artistic-1.0-Perl) AND BSD-2-Clause');
  t.is(dep5Expression('GPL-2+ with OpenSSL exception', refs), 'LicenseRef-GPL-2-with-OpenSSL-exception');
  t.is(dep5Expression('public-domain', refs), 'LicenseRef-public-domain');
  t.is(dep5Expression('GPL-9', refs), 'LicenseRef-GPL-9', 'no such version: not made up');
  t.deepEqual(Object.fromEntries(refs), { 'LicenseRef-GPL-2-with-OpenSSL-exception': 'GPL-2+ with OpenSSL exception', 'LicenseRef-public-domain': 'public-domain', 'LicenseRef-GPL-9': 'GPL-9' });
});

test('a DEP-5 file: every Files licence, joined with AND; not DEP-5: no licence', (t) => {
  const refs = new Map<string, string>();
  t.is(dep5License(DEP5, refs), 'GPL-3.0-or-later AND LicenseRef-GPL-3-with-Bison-exception AND LicenseRef-GFDL-NIV-1.3');
  t.is(dep5License('This is the Debian GNU/Linux prepackaged version of foo.\n\nCopyright: GPL\n', refs), undefined);
  t.is(dep5License('Format: http://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nLicense: MIT\n', refs), 'MIT', 'header licence when no Files paragraph names one');
});

test('inventory of a tree: purls with the distro from os-release (a symlink in the image), licences and their texts', async (t) => {
  const root = await tmpDir('dib-dpkg-inv-');
  await mkdir(path.join(root, 'var/lib/dpkg'), { recursive: true });
  await writeFile(path.join(root, 'var/lib/dpkg/status'), STATUS);
  await mkdir(path.join(root, 'usr/share/doc/bash'), { recursive: true });
  await writeFile(path.join(root, 'usr/share/doc/bash/copyright'), DEP5);
  // libc6's doc dir is an absolute link inside the image, as some packages ship it
  await mkdir(path.join(root, 'usr/share/doc/libc-bin'), { recursive: true });
  await writeFile(path.join(root, 'usr/share/doc/libc-bin/copyright'), 'not machine-readable\n');
  await symlink('/usr/share/doc/libc-bin', path.join(root, 'usr/share/doc/libc6'));
  const os = { ID: 'debian', VERSION_ID: '12', NAME: 'Debian GNU/Linux' };
  const inv = await dpkgInventory(root, os, { packages: [], licenseRefs: {}, sources: [] });
  t.deepEqual(inv.sources, ['/var/lib/dpkg/status']);
  t.deepEqual(
    inv.packages.map((p) => [p.name, p.purl, p.license]),
    [
      ['bash', 'pkg:deb/debian/bash@5.2.15-2%2Bb7?arch=amd64&distro=debian-12', 'GPL-3.0-or-later AND LicenseRef-GPL-3-with-Bison-exception AND LicenseRef-GFDL-NIV-1.3'],
      ['libc6', 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12', undefined],
      ['tzdata', 'pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all&distro=debian-12', undefined],
    ],
  );
  t.like(inv.packages[0], { supplier: 'Debian', source: { name: 'bash', version: '5.2.15-2' } });
  t.deepEqual(inv.packages[2]!.source, { name: 'tzdata', version: '2024a-0+deb12u1' }, 'no Source: the package is its own source');
  t.is(inv.licenseRefs['LicenseRef-GFDL-NIV-1.3']!.text, 'Permission is granted to copy.\n\nSecond paragraph.');
  t.regex(inv.licenseRefs['LicenseRef-GPL-3-with-Bison-exception']!.text, /as stated in \/usr\/share\/doc\/bash\/copyright/);
});

test('no package database: E_SBOM naming the file', async (t) => {
  const root = await tmpDir('dib-dpkg-inv-');
  const e = await t.throwsAsync(dpkgInventory(root, {}, { packages: [], licenseRefs: {}, sources: [] }));
  t.true(isDibError(e));
  t.is((e as { code?: string }).code, 'E_SBOM');
  t.regex(e!.message, /\/var\/lib\/dpkg\/status: ENOENT/);
});
