/** The key of a cached bootstrapped root: a hash of everything that shapes it (pure). */
import { createHash } from 'node:crypto';
import type { BootstrapSettings } from './settings.js';

/** Bump when the way dib makes or stores a root changes, so old tarballs are not reused. */
export const ROOT_CACHE_FORMAT = 2;

/** The settings that shape a root, as they go into its cache key. */
type KeyedSettings = 'tool' | 'variant' | 'distro' | 'release' | 'arch' | 'mirror' | 'components' | 'sources' | 'include' | 'preseed' | 'extraArgs' | 'mmdebstrapArgs';

export type RootCacheInputs = Pick<BootstrapSettings, KeyedSettings> & {
  format: number;
  /** sha256 of the keyring's content (not its path) */
  keyring: string;
  script: string | null;
};

export function rootCacheInputs(s: BootstrapSettings, keyringDigest: string): RootCacheInputs {
  return {
    format: ROOT_CACHE_FORMAT,
    tool: s.tool,
    variant: s.variant,
    distro: s.distro,
    release: s.release,
    arch: s.arch,
    mirror: s.mirror,
    components: [...s.components],
    sources: [...s.sources],
    keyring: keyringDigest,
    include: [...s.include].sort(),
    preseed: [...s.preseed].sort(),
    extraArgs: [...s.extraArgs],
    mmdebstrapArgs: [...s.mmdebstrapArgs],
    script: s.script ?? null,
  };
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

function safe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.+-]/g, '_');
}

/** `debian-bookworm-amd64-<16 hex>`: readable prefix, hash of all inputs. */
export function rootCacheKey(inputs: RootCacheInputs): string {
  const hash = createHash('sha256').update(canonical(inputs)).digest('hex').slice(0, 16);
  return `${safe(inputs.distro)}-${safe(inputs.release)}-${safe(inputs.arch)}-${hash}`;
}
