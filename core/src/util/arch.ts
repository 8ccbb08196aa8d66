/** Architecture families, for the arch-specific choices DIB makes (layouts, consoles, GRUB). */
export type ArchFamily = 'x86' | 'arm64' | 'ppc' | 'other';

/** `amd64`/`x86_64`/`i386` → x86, `arm64`/`aarch64` → arm64, anything with `ppc64` → ppc. */
export function archFamily(arch: string | undefined): ArchFamily {
  const a = (arch ?? '').toLowerCase();
  if (/^(amd64|x86_64|i386|i686|x86)$/.test(a)) return 'x86';
  if (/^(arm64|aarch64)$/.test(a)) return 'arm64';
  if (/ppc64/.test(a)) return 'ppc';
  return 'other';
}

/** Debian's name for an architecture (`x86_64` → amd64, `aarch64` → arm64, `ppc64le` → ppc64el). */
export function normaliseArch(arch: string): string {
  const map: Record<string, string> = {
    x86_64: 'amd64',
    x64: 'amd64',
    aarch64: 'arm64',
    i686: 'i386',
    i586: 'i386',
    i486: 'i386',
    x86: 'i386',
    ppc64le: 'ppc64el',
    armv7l: 'armhf',
  };
  return map[arch] ?? arch;
}
