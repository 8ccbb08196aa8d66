/** Pure helpers of the dpkg element: file contents, apt command lines, the dpkg manifest. */

/** `apt.conf.d/95no-translations` (root, kept in the image as DIB does). */
export const NO_TRANSLATIONS = 'Acquire::Languages "none";\n';
/** `dpkg.cfg.d/02apt-speedup` (root, removed at cleanup). */
export const APT_SPEEDUP = 'force-unsafe-io\n';
/** `apt.conf.d/no-languages` (root, removed at cleanup). */
export const NO_LANGUAGES = 'Acquire::Languages "none";\n';
/** `apt.conf.d/95disable-recommends` (pre-install, kept). */
export const DISABLE_RECOMMENDS = 'APT::Install-Recommends "0";\nApt::Install-Suggests "0";\n';
/** `usr/sbin/policy-rc.d`: no daemon starts while building. */
export const POLICY_RC_D = `#!/bin/sh
# 101 Action not allowed. The requested action will not be performed because
#     of runlevel or local policy constraints.
exit 101
`;
export const FAKE_START_STOP_DAEMON = `#!/bin/sh
echo
echo "Warning: Fake start-stop-daemon called, doing nothing"
`;
export const FAKE_INITCTL = `#!/bin/sh
echo "initctl (tripleo 1.0)"
echo "Warning: Fake initctl called, doing nothing"
`;
/** `apt.conf.d/60img-build-proxy` when `http_proxy` is set. */
export function proxyConf(httpProxy: string): string {
  return `Acquire::http::Proxy "${httpProxy}";\n`;
}

/** Paths (in the image) of the build-time diversions, for checks that none ships. */
export const DIVERSIONS = {
  policyRcD: 'usr/sbin/policy-rc.d',
  startStopDaemon: 'sbin/start-stop-daemon',
  initctl: 'sbin/initctl',
  aptSpeedup: 'etc/dpkg/dpkg.cfg.d/02apt-speedup',
  noLanguages: 'etc/apt/apt.conf.d/no-languages',
  proxy: 'etc/apt/apt.conf.d/60img-build-proxy',
  noTranslations: 'etc/apt/apt.conf.d/95no-translations',
  disableRecommends: 'etc/apt/apt.conf.d/95disable-recommends',
} as const;

/** apt-get's action for a package request. */
export function aptAction(action: 'install' | 'uninstall' | 'upgrade'): string {
  return action === 'uninstall' ? 'remove' : action === 'upgrade' ? 'dist-upgrade' : 'install';
}

/** The apt-get arguments DIB's install-packages uses. */
export function aptGetArgs(action: 'install' | 'uninstall' | 'upgrade', packages: readonly string[]): string[] {
  const args = ['-o', 'Dpkg::Options::=--force-confold', '-o', 'Dpkg::Options::=--force-confdef', '--assume-yes', aptAction(action)];
  return action === 'upgrade' ? args : [...args, ...packages];
}

/** dpkg-query `--showformat` giving one tab-separated line per package. */
export const DPKG_QUERY_FORMAT = '${binary:Package}\\t${Architecture}\\t${Version}\\t${db:Status-Abbrev}\\n';

export interface DpkgPackage {
  package: string;
  arch: string;
  version: string;
  status: string;
}

export function parseDpkgQuery(out: string): DpkgPackage[] {
  const pkgs: DpkgPackage[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [pkg = '', arch = '', version = '', status = ''] = line.split('\t');
    pkgs.push({ package: pkg, arch, version, status });
  }
  return pkgs;
}

/**
 * The dpkg manifest in DIB's layout: `{"packages": [` then one object a line, `]}` — but
 * valid JSON (values escaped).
 */
export function formatDpkgManifest(pkgs: readonly DpkgPackage[]): string {
  const q = JSON.stringify;
  const lines = pkgs.map((p) => `{"package": ${q(p.package)},"arch": ${q(p.arch)},"version": ${q(p.version)},"status": ${q(p.status)}}`);
  return lines.length ? `{"packages": [\n${lines.join(',\n')}\n]}\n` : '{"packages": [\n]}\n';
}

/** Name of the manifest file for an image: `dib-manifest-dpkg-<basename IMAGE_NAME>`. */
export function dpkgManifestName(imageName: string): string {
  const base = imageName.replace(/\/+$/, '').split('/').pop() || imageName;
  return `dib-manifest-dpkg-${base}`;
}

/** A key file's name in `trusted.gpg.d`: apt only reads `*.gpg` (binary) and `*.asc` (armored). */
export function trustedKeyName(name: string, content: Buffer): string {
  if (/\.(gpg|asc)$/.test(name)) return name;
  const armored = content.subarray(0, 64).toString('latin1').includes('-----BEGIN PGP');
  return `${name}${armored ? '.asc' : '.gpg'}`;
}
