/**
 * Pure derivation of everything that shapes a bootstrapped root from the build environment:
 * tool, distribution, release, architecture, mirror(s), components, keyring, package set and
 * extra arguments (docs/dib-behaviour.md#debootstrap-debian-minimal-ubuntu-minimal).
 */
import path from 'node:path';
import { DibError, normaliseArch, type Env } from '@dib/core';
import { splitList, splitWords } from './words.js';

export type BootstrapTool = 'mmdebstrap' | 'debootstrap';

/** Default keyrings on a Debian host, by DISTRO_NAME. */
export const DEFAULT_KEYRINGS: Readonly<Record<string, { file: string; package: string }>> = {
  debian: { file: '/usr/share/keyrings/debian-archive-keyring.gpg', package: 'debian-archive-keyring' },
  ubuntu: { file: '/usr/share/keyrings/ubuntu-archive-keyring.gpg', package: 'ubuntu-keyring' },
};

/** Packages every bootstrap includes (DIB adds tzdata with mmdebstrap; apt is in minbase). */
export const BASE_INCLUDE: readonly string[] = ['tzdata'];

/**
 * A Debian package name (policy §5.6.1): the only names preseeded, since they go into an apt
 * pattern; others (`pkg=version`, `pkg/suite`, `pkg:arch`) are left to the install taps.
 */
export const DEBIAN_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/** Debian's name for an architecture (core's, where every element gets it). */
export { normaliseArch };

export interface BootstrapSettings {
  tool: BootstrapTool;
  variant: 'minbase';
  distro: string;
  release: string;
  /** Debian spelling */
  arch: string;
  /** DIB_DISTRIBUTION_MIRROR */
  mirror: string;
  components: string[];
  /**
   * apt source lines for the bootstrap (mmdebstrap only; debootstrap takes the mirror alone).
   * Bootstrapping from the same sources the image will use (updates, security) makes the
   * cached root current, so the later dist-upgrade has little or nothing to do.
   */
  sources: string[];
  /** absolute path of the keyring that verifies the archive's signatures */
  keyring: string;
  /** where the keyring came from */
  keyringFrom: 'DIB_APT_KEYRING' | 'DIB_DEBIAN_KEYRING' | 'DIB_DEBOOTSTRAP_EXTRA_ARGS' | 'default';
  /** sorted, unique */
  include: string[];
  /**
   * Packages later phases will install anyway (package-installs' preseed list), put into the
   * root when the archive has them: sorted, unique, Debian package names only, none of
   * `include`. mmdebstrap only (debootstrap cannot skip a package its mirror lacks): empty
   * with debootstrap.
   */
  preseed: string[];
  /** DIB_DEBOOTSTRAP_EXTRA_ARGS, split into words (debootstrap syntax) */
  extraArgs: string[];
  /** DIB_MMDEBSTRAP_EXTRA_ARGS (mmdebstrap syntax; dib's own addition) */
  mmdebstrapArgs: string[];
  /** DIB_DEBIAN_DEBOOTSTRAP_SCRIPT */
  script?: string;
  /** reuse and write the cached root (DIB_DEBOOTSTRAP_CACHE, default on) */
  cache: boolean;
  /** rebuild a cached root older than this many days when online (DIB_DEBOOTSTRAP_CACHE_MAX_AGE) */
  maxAgeDays?: number;
}

export interface SettingsInputs {
  env: Readonly<Env>;
  /** packages the OS element wants in the bootstrapped root (the bootstrap fails without them) */
  include?: readonly string[];
  /** packages later phases install anyway: included when the archive has them (mmdebstrap) */
  preseed?: readonly string[];
  /** apt source lines for the bootstrap (mmdebstrap), from the OS element */
  sources?: readonly string[];
  /** which tools are installed on the host */
  available: { mmdebstrap: boolean; debootstrap: boolean };
}

const INSECURE = /--no-check-gpg|--no-check-sig|\btrusted=yes\b|AllowUnauthenticated|AllowInsecureRepositories|AllowDowngradeToInsecureRepositories|--allow-unauthenticated/i;

function refuseInsecure(variable: string, text: string): void {
  const m = INSECURE.exec(text);
  if (m) {
    throw new DibError('E_CONFIG_VALUE', `${variable}: '${m[0]}' is refused: dib always verifies the archive's signatures`, {
      hint: 'give the key that signs your mirror with DIB_APT_KEYRING (an absolute path to a keyring file)',
    });
  }
}

function required(env: Readonly<Env>, name: string, who: string): string {
  const v = env[name];
  if (!v) {
    throw new DibError('E_CONFIG_VALUE', `debootstrap: ${name} is not set`, { hint: `${name} is set by the operating-system element (${who}); add debian-minimal or ubuntu-minimal, or set it in env` });
  }
  return v;
}

function keyringOption(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('--keyring=')) return a.slice('--keyring='.length);
    if (a === '--keyring' && i + 1 < args.length) return args[i + 1];
  }
  return undefined;
}

/** The tool: DIB_DEBOOTSTRAP_TOOL, else mmdebstrap unless debootstrap-only options are set. */
export function chooseTool(env: Readonly<Env>, available: SettingsInputs['available'], needsDebootstrap: string | undefined): BootstrapTool {
  const forced = env.DIB_DEBOOTSTRAP_TOOL;
  if (forced) {
    if (forced !== 'mmdebstrap' && forced !== 'debootstrap') {
      throw new DibError('E_CONFIG_VALUE', `DIB_DEBOOTSTRAP_TOOL='${forced}' is not mmdebstrap or debootstrap`, { hint: 'set DIB_DEBOOTSTRAP_TOOL to mmdebstrap or debootstrap, or unset it' });
    }
    if (forced === 'mmdebstrap' && needsDebootstrap) {
      throw new DibError('E_CONFIG_VALUE', `DIB_DEBOOTSTRAP_TOOL=mmdebstrap cannot honour ${needsDebootstrap} (debootstrap syntax)`, {
        hint: `unset ${needsDebootstrap} (mmdebstrap options go in DIB_MMDEBSTRAP_EXTRA_ARGS) or use DIB_DEBOOTSTRAP_TOOL=debootstrap`,
      });
    }
    if (!available[forced]) {
      throw new DibError('E_HOST_TOOL_MISSING', `DIB_DEBOOTSTRAP_TOOL=${forced} but ${forced} is not installed on the host`, { hint: `apt-get install ${forced}` });
    }
    return forced;
  }
  if (needsDebootstrap) {
    if (!available.debootstrap) {
      throw new DibError('E_HOST_TOOL_MISSING', `${needsDebootstrap} is set, which needs debootstrap, and debootstrap is not installed on the host`, {
        hint: `apt-get install debootstrap, or unset ${needsDebootstrap}`,
      });
    }
    return 'debootstrap';
  }
  if (available.mmdebstrap) return 'mmdebstrap';
  if (available.debootstrap) return 'debootstrap';
  throw new DibError('E_HOST_TOOL_MISSING', 'debootstrap: neither mmdebstrap nor debootstrap is installed on the host', {
    hint: 'apt-get install mmdebstrap (several times faster than debootstrap, which also works)',
  });
}

export function resolveBootstrapSettings(inputs: SettingsInputs): BootstrapSettings {
  const { env } = inputs;
  const distro = required(env, 'DISTRO_NAME', 'debian-minimal/ubuntu-minimal');
  const release = required(env, 'DIB_RELEASE', 'debian-minimal/ubuntu-minimal');
  const mirror = required(env, 'DIB_DISTRIBUTION_MIRROR', 'debian-minimal/ubuntu-minimal');
  const arch = normaliseArch(required(env, 'ARCH', 'the core, from --arch'));
  const components = splitList(env.DIB_DEBIAN_COMPONENTS || 'main');
  if (components.length === 0) {
    throw new DibError('E_CONFIG_VALUE', 'DIB_DEBIAN_COMPONENTS is empty', { hint: 'set DIB_DEBIAN_COMPONENTS to a comma-separated list such as main,contrib' });
  }
  const extraArgs = splitWords(env.DIB_DEBOOTSTRAP_EXTRA_ARGS ?? '', 'DIB_DEBOOTSTRAP_EXTRA_ARGS');
  const mmdebstrapArgs = splitWords(env.DIB_MMDEBSTRAP_EXTRA_ARGS ?? '', 'DIB_MMDEBSTRAP_EXTRA_ARGS');
  refuseInsecure('DIB_DEBOOTSTRAP_EXTRA_ARGS', extraArgs.join(' '));
  refuseInsecure('DIB_MMDEBSTRAP_EXTRA_ARGS', mmdebstrapArgs.join(' '));
  const script = env.DIB_DEBIAN_DEBOOTSTRAP_SCRIPT || undefined;
  const needsDebootstrap = extraArgs.length ? 'DIB_DEBOOTSTRAP_EXTRA_ARGS' : script ? 'DIB_DEBIAN_DEBOOTSTRAP_SCRIPT' : undefined;
  const tool = chooseTool(env, inputs.available, needsDebootstrap);

  let keyring: string;
  let keyringFrom: BootstrapSettings['keyringFrom'];
  const fromExtra = tool === 'debootstrap' ? keyringOption(extraArgs) : undefined;
  if (fromExtra) {
    // DIB: a --keyring in DIB_DEBOOTSTRAP_EXTRA_ARGS overrides DIB_APT_KEYRING
    keyring = fromExtra;
    keyringFrom = 'DIB_DEBOOTSTRAP_EXTRA_ARGS';
  } else if (env.DIB_APT_KEYRING) {
    keyring = env.DIB_APT_KEYRING;
    keyringFrom = 'DIB_APT_KEYRING';
  } else if (env.DIB_DEBIAN_KEYRING) {
    keyring = env.DIB_DEBIAN_KEYRING;
    keyringFrom = 'DIB_DEBIAN_KEYRING';
  } else {
    const def = DEFAULT_KEYRINGS[distro];
    if (!def) {
      throw new DibError('E_CONFIG_VALUE', `debootstrap: no default keyring for DISTRO_NAME=${distro}`, { hint: 'set DIB_APT_KEYRING to the keyring that signs your mirror (absolute path)' });
    }
    keyring = def.file;
    keyringFrom = 'default';
  }
  if (!path.isAbsolute(keyring)) {
    throw new DibError('E_CONFIG_VALUE', `${keyringFrom === 'default' ? 'keyring' : keyringFrom}='${keyring}' is not an absolute path`, { hint: 'give the keyring as an absolute path, as DIB requires' });
  }

  const include = [...new Set([...BASE_INCLUDE, ...(inputs.include ?? [])].map((p) => p.trim()).filter(Boolean))].sort();
  const preseed = tool === 'mmdebstrap' ? [...new Set((inputs.preseed ?? []).map((p) => p.trim()).filter((p) => DEBIAN_NAME.test(p) && !include.includes(p)))].sort() : [];
  const sources = tool === 'mmdebstrap' && inputs.sources?.length ? [...inputs.sources] : [`deb ${mirror} ${release} ${components.join(' ')}`];
  for (const s of sources) refuseInsecure('apt sources', s);

  const cacheFlag = env.DIB_DEBOOTSTRAP_CACHE;
  let maxAgeDays: number | undefined;
  if (env.DIB_DEBOOTSTRAP_CACHE_MAX_AGE) {
    maxAgeDays = Number(env.DIB_DEBOOTSTRAP_CACHE_MAX_AGE);
    if (!Number.isFinite(maxAgeDays) || maxAgeDays < 0) {
      throw new DibError('E_CONFIG_VALUE', `DIB_DEBOOTSTRAP_CACHE_MAX_AGE='${env.DIB_DEBOOTSTRAP_CACHE_MAX_AGE}' is not a number of days`, { hint: 'set it to a number of days, such as 7, or unset it' });
    }
  }
  return {
    tool,
    variant: 'minbase',
    distro,
    release,
    arch,
    mirror,
    components,
    sources,
    keyring,
    keyringFrom,
    include,
    preseed,
    extraArgs,
    mmdebstrapArgs,
    ...(script ? { script } : {}),
    cache: cacheFlag === undefined || cacheFlag === '' || cacheFlag !== '0',
    ...(maxAgeDays !== undefined ? { maxAgeDays } : {}),
  };
}
