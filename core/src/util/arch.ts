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
