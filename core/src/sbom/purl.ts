/**
 * Package URLs (purl, github.com/package-url/purl-spec): `pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS`.
 * Each part is percent-encoded except unreserved characters and the colon, which the
 * specification says is never encoded (`1:2.3-4` stays as it is, `+` becomes `%2B`);
 * qualifiers are sorted by key and empty ones left out.
 */

function encode(s: string): string {
  return encodeURIComponent(s).replace(/%3A/gi, ':');
}

export interface PackageUrlParts {
  type: string;
  namespace?: string;
  name: string;
  version?: string;
  qualifiers?: Record<string, string | undefined>;
}

export function packageUrl(p: PackageUrlParts): string {
  const ns = p.namespace ? `${p.namespace.split('/').map(encode).join('/')}/` : '';
  const version = p.version ? `@${encode(p.version)}` : '';
  const q = Object.entries(p.qualifiers ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k.toLowerCase()}=${encode(v)}`)
    .join('&');
  return `pkg:${p.type.toLowerCase()}/${ns}${encode(p.name)}${version}${q ? `?${q}` : ''}`;
}
