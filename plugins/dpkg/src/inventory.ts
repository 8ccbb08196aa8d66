/**
 * The dpkg element's answer to the core's `inventory` hook: every installed package of the
 * image from its `/var/lib/dpkg/status` (name, version, architecture, source package,
 * maintainer, summary, homepage), its licence where `/usr/share/doc/<package>/copyright` is in
 * the machine-readable format (DEP-5, copyright-format/1.0), and its purl
 * (`pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=debian-12`, the distro from os-release).
 */
import { readFile } from 'node:fs/promises';
import { DibError, distroQualifier, imagePath, packageUrl } from '@dib/core';
import type { ImageInventory, InventoryPackage, LicenseRef, OsRelease } from '@dib/core';

export const DPKG_STATUS = 'var/lib/dpkg/status';

/** RFC 822-style paragraphs (dpkg status, Debian control and DEP-5 files): field → value. */
export function parseParagraphs(text: string): Array<Map<string, string>> {
  const out: Array<Map<string, string>> = [];
  let cur = new Map<string, string>();
  let last: string | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (cur.size) out.push(cur);
      cur = new Map();
      last = undefined;
      continue;
    }
    if (line.startsWith('#')) continue;
    if ((line[0] === ' ' || line[0] === '\t') && last) {
      cur.set(last, `${cur.get(last)}\n${line.slice(1)}`);
      continue;
    }
    const i = line.indexOf(':');
    if (i <= 0) continue;
    last = line.slice(0, i).trim().toLowerCase();
    cur.set(last, line.slice(i + 1).trim());
  }
  if (cur.size) out.push(cur);
  return out;
}

export interface DpkgStatusEntry {
  package: string;
  version: string;
  arch: string;
  /** `want flag state`, as dpkg writes it */
  status: string;
  source?: { name: string; version?: string };
  maintainer?: string;
  summary?: string;
  homepage?: string;
}

/** Package states whose files are on disk (dpkg(1): installed, unpacked, half-configured, triggers). */
const ON_DISK = new Set(['installed', 'unpacked', 'half-configured', 'triggers-awaited', 'triggers-pending']);

/** The packages of a dpkg status file whose files are in the image (not removed, not config-files). */
export function parseDpkgStatus(text: string): DpkgStatusEntry[] {
  const out: DpkgStatusEntry[] = [];
  for (const p of parseParagraphs(text)) {
    const name = p.get('package');
    const status = p.get('status') ?? '';
    if (!name || !ON_DISK.has(status.split(/\s+/)[2] ?? '')) continue;
    const e: DpkgStatusEntry = { package: name, version: p.get('version') ?? '', arch: p.get('architecture') ?? '', status };
    const src = p.get('source');
    if (src) {
      // `Source: name` or `Source: name (version)` when the binary's version differs
      const m = /^(\S+)(?:\s+\(([^)]+)\))?/.exec(src);
      if (m) e.source = { name: m[1]!, version: m[2] ?? e.version };
    }
    if (p.get('maintainer')) e.maintainer = p.get('maintainer');
    const desc = p.get('description');
    if (desc) e.summary = desc.split('\n')[0]!.trim();
    if (p.get('homepage')) e.homepage = p.get('homepage');
    out.push(e);
  }
  return out;
}

/**
 * DEP-5 short names that are not SPDX ids, mapped to SPDX (the copyright-format 1.0 list of
 * standard short names). Names already spelled as SPDX ids pass through KNOWN_SPDX.
 */
const DEP5_TO_SPDX: Record<string, string> = {
  expat: 'MIT',
  'bsd-2-clause': 'BSD-2-Clause',
  'bsd-3-clause': 'BSD-3-Clause',
  'bsd-4-clause': 'BSD-4-Clause',
  'apache-2': 'Apache-2.0',
  'apache-2.0': 'Apache-2.0',
  'apache-1.1': 'Apache-1.1',
  artistic: 'Artistic-1.0-Perl',
  'artistic-1.0': 'Artistic-1.0',
  'artistic-2.0': 'Artistic-2.0',
  zlib: 'Zlib',
  isc: 'ISC',
  cc0: 'CC0-1.0',
  'cc0-1.0': 'CC0-1.0',
  'mpl-1.1': 'MPL-1.1',
  'mpl-2.0': 'MPL-2.0',
  'psf-2': 'PSF-2.0',
  'python-2.0': 'Python-2.0',
  'zope-2.1': 'ZPL-2.1',
  'w3c': 'W3C',
  'openssl': 'OpenSSL',
  'ofl-1.1': 'OFL-1.1',
  'boost-1.0': 'BSL-1.0',
  'bsl-1.0': 'BSL-1.0',
  'unicode-dfs-2016': 'Unicode-DFS-2016',
  x11: 'X11',
  mit: 'MIT',
  curl: 'curl',
  wtfpl: 'WTFPL',
  'cc-by-3.0': 'CC-BY-3.0',
  'cc-by-4.0': 'CC-BY-4.0',
  'cc-by-sa-3.0': 'CC-BY-SA-3.0',
  'cc-by-sa-4.0': 'CC-BY-SA-4.0',
  fsfap: 'FSFAP',
  fsful: 'FSFUL',
  fsfullr: 'FSFULLR',
  'bzip2-1.0.6': 'bzip2-1.0.6',
  libpng: 'Libpng',
  'libpng-2.0': 'libpng-2.0',
  ijg: 'IJG',
  tcl: 'TCL',
  ruby: 'Ruby',
  sleepycat: 'Sleepycat',
  vim: 'Vim',
  'openldap-2.8': 'OLDAP-2.8',
  'gpl-2.0-only': 'GPL-2.0-only',
  'gpl-2.0-or-later': 'GPL-2.0-or-later',
  'gpl-3.0-only': 'GPL-3.0-only',
  'gpl-3.0-or-later': 'GPL-3.0-or-later',
  'lgpl-2.1-only': 'LGPL-2.1-only',
  'lgpl-2.1-or-later': 'LGPL-2.1-or-later',
  'lgpl-3.0-only': 'LGPL-3.0-only',
  'lgpl-3.0-or-later': 'LGPL-3.0-or-later',
  'agpl-3.0-only': 'AGPL-3.0-only',
  'agpl-3.0-or-later': 'AGPL-3.0-or-later',
};

/** `GPL-2+` → `GPL-2.0-or-later`, `LGPL-2.1` → `LGPL-2.1-only`, `GFDL-1.3+` → `GFDL-1.3-or-later`. */
function gnuLicense(name: string): string | undefined {
  const m = /^(A?GPL|LGPL|GFDL|GFDL-NIV)-(\d)(?:\.(\d))?(\.0)?(\+)?$/i.exec(name);
  if (!m) return undefined;
  const family = m[1]!.toUpperCase();
  if (family === 'GFDL-NIV') return undefined;
  const version = `${m[2]}.${m[3] ?? '0'}`;
  const known: Record<string, string[]> = { GPL: ['1.0', '2.0', '3.0'], LGPL: ['2.0', '2.1', '3.0'], AGPL: ['1.0', '3.0'], GFDL: ['1.1', '1.2', '1.3'] };
  if (!known[family]?.includes(version)) return undefined;
  return `${family}-${version}-${m[5] ? 'or-later' : 'only'}`;
}

/** `LicenseRef-` id for a licence name with no SPDX id. */
export function licenseRefId(name: string): string {
  return `LicenseRef-${name.replace(/[^A-Za-z0-9.]+/g, '-').replace(/^-+|-+$/g, '') || 'unnamed'}`;
}

/** One DEP-5 licence name as SPDX: an SPDX id, or a LicenseRef recorded in `refs`. */
export function spdxLicenseId(name: string, refs: Map<string, string>): string {
  const n = name.trim();
  const id = DEP5_TO_SPDX[n.toLowerCase()] ?? gnuLicense(n);
  if (id) return id;
  const ref = licenseRefId(n);
  refs.set(ref, n);
  return ref;
}

/**
 * A DEP-5 `License:` first line as an SPDX expression: `GPL-2+ or Artistic` →
 * `GPL-2.0-or-later OR Artistic-1.0-Perl`; a comma before `and`/`or` binds loosest
 * (`A or B, and C` → `(A OR B) AND C`); `X with Y exception` becomes one LicenseRef.
 */
export function dep5Expression(line: string, refs: Map<string, string>): string | undefined {
  const text = line.trim();
  if (!text) return undefined;
  const join = (parts: string[], op: 'AND' | 'OR') => joinExpressions(parts, op);
  const orAnd = (s: string): string => {
    const ors = s.split(/\s+or\s+/i).map((o) => join(o.split(/\s+and\s+/i).map((a) => spdxLicenseId(a, refs)), 'AND'));
    return join(ors, 'OR');
  };
  const top = text.split(/,\s*(?=(?:and|or)\s)/i);
  if (top.length === 1) return orAnd(text);
  let expr = orAnd(top[0]!);
  for (const part of top.slice(1)) {
    const m = /^(and|or)\s+(.*)$/i.exec(part.trim())!;
    expr = join([expr, orAnd(m[2]!)], m[1]!.toUpperCase() as 'AND' | 'OR');
  }
  return expr;
}

/** The licence of a machine-readable copyright file, or undefined when it is not DEP-5. */
export function dep5License(text: string, refs: Map<string, string>): string | undefined {
  const paras = parseParagraphs(text);
  const header = paras[0];
  if (!header || !/copyright-format\/1\.0/.test(header.get('format') ?? '')) return undefined;
  const found: string[] = [];
  const add = (v: string | undefined) => {
    const first = v?.split('\n')[0]?.trim();
    if (!first) return;
    const e = dep5Expression(first, refs);
    if (e && !found.includes(e)) found.push(e);
  };
  for (const p of paras.slice(1)) if (p.has('files')) add(p.get('license'));
  if (!found.length) add(header.get('license'));
  if (!found.length) return undefined;
  // the package as a whole: every licence its files carry
  return joinExpressions(found, 'AND');
}

/** Join SPDX expressions with AND or OR, parenthesising those that use the other operator. */
function joinExpressions(parts: readonly string[], op: 'AND' | 'OR'): string {
  if (parts.length === 1) return parts[0]!;
  const other = op === 'AND' ? / OR / : / AND /;
  return parts.map((p) => (other.test(p) ? `(${p})` : p)).join(` ${op} `);
}

/** The texts of the stand-alone License paragraphs of a DEP-5 file, by name. */
function dep5Texts(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const p of parseParagraphs(text).slice(1)) {
    const lic = p.get('license');
    if (p.has('files') || !lic) continue;
    const [name, ...body] = lic.split('\n');
    if (body.length) out.set(name!.trim(), body.map((l) => (l.trim() === '.' ? '' : l)).join('\n').trim());
  }
  return out;
}

/** Read the dpkg database of the tree at `root` into inventory packages. */
export async function dpkgInventory(root: string, os: OsRelease, inv: ImageInventory): Promise<ImageInventory> {
  let status: string;
  const file = await imagePath(root, DPKG_STATUS);
  try {
    status = await readFile(file, 'utf8');
  } catch (e) {
    throw new DibError('E_SBOM', `dpkg: cannot read the image's package database /${DPKG_STATUS}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: 'an element removed it; remove it after dib has read it (it is read after the cleanup phase), or drop the dpkg element',
    });
  }
  const distro = distroQualifier(os);
  const namespace = os.ID || 'debian';
  const supplier = os.NAME?.split(' ')[0] || undefined;
  const packages: InventoryPackage[] = [];
  const licenseRefs: Record<string, LicenseRef> = { ...inv.licenseRefs };
  for (const e of parseDpkgStatus(status)) {
    const refs = new Map<string, string>();
    let license: string | undefined;
    const copyrightPath = `/usr/share/doc/${e.package}/copyright`;
    const copyright = await readFile(await imagePath(root, copyrightPath.slice(1)), 'utf8').catch(() => undefined);
    if (copyright !== undefined) {
      license = dep5License(copyright, refs);
      const texts = dep5Texts(copyright);
      for (const [id, name] of refs) {
        licenseRefs[id] ??= { name, text: texts.get(name) ?? `"${name}", as stated in ${copyrightPath} of the image` };
      }
    }
    packages.push({
      type: 'deb',
      name: e.package,
      version: e.version,
      ...(e.arch ? { arch: e.arch } : {}),
      // no Source field: the source package has the binary's name and version
      source: e.source ?? { name: e.package, version: e.version },
      ...(license ? { license } : {}),
      purl: packageUrl({ type: 'deb', namespace, name: e.package, version: e.version, qualifiers: { arch: e.arch, distro } }),
      ...(supplier ? { supplier } : {}),
      ...(e.maintainer ? { maintainer: e.maintainer } : {}),
      ...(e.summary ? { summary: e.summary } : {}),
      ...(e.homepage ? { homepage: e.homepage } : {}),
    });
  }
  return { packages: [...inv.packages, ...packages], licenseRefs, sources: [...inv.sources, `/${DPKG_STATUS}`] };
}
