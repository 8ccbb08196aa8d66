/** Writing apt configuration into the target (used by the OS elements' baseinstall taps). */
import { promises as fs } from 'node:fs';
import type { Env, PhaseContext } from '@dib/core';
import { withAptArchiveLock } from '@dib/element-dpkg';
import { sourcesListFiles, type AptSourceEntry } from './sources.js';
import { resolveInRoot, writeTargetFile } from './fsutil.js';

/** etc/apt/sources.list.d/<name>.list for each entry (DIB_APT_SOURCES_CONF). Returns the files. */
export async function writeAptSources(root: string, entries: readonly AptSourceEntry[]): Promise<string[]> {
  await fs.mkdir(await resolveInRoot(root, 'etc/apt/sources.list.d'), { recursive: true });
  const written: string[] = [];
  for (const [file, content] of sourcesListFiles(entries)) {
    written.push(await writeTargetFile(root, `etc/apt/sources.list.d/${file}`, content));
  }
  return written;
}

/**
 * The keyring the bootstrap used, when the user gave one (DIB_APT_KEYRING, or the legacy
 * DIB_DEBIAN_KEYRING), trusted by apt in the image: DIB runs `apt-key add`; apt-key is gone
 * from current releases, so the keyring goes to etc/apt/trusted.gpg.d (armored → .asc).
 */
export async function installAptKeyring(root: string, env: Readonly<Env>): Promise<string | undefined> {
  const src = env.DIB_APT_KEYRING || env.DIB_DEBIAN_KEYRING;
  if (!src) return undefined;
  const st = await fs.stat(src);
  if (st.isDirectory()) {
    let last: string | undefined;
    for (const n of (await fs.readdir(src)).sort()) {
      if (!/\.(gpg|asc)$/.test(n)) continue;
      last = await writeTargetFile(root, `etc/apt/trusted.gpg.d/dib-${n}`, await fs.readFile(`${src}/${n}`));
    }
    return last;
  }
  const data = await fs.readFile(src);
  const armored = data.subarray(0, 64).toString('latin1').includes('-----BEGIN PGP');
  return writeTargetFile(root, `etc/apt/trusted.gpg.d/dib-apt-keyring.${armored ? 'asc' : 'gpg'}`, data);
}

/** apt-get in the target with DIB's install-packages flags (holding the shared archive's lock). */
export function aptInTarget(ctx: PhaseContext, ...args: string[]) {
  return withAptArchiveLock(ctx, () =>
    ctx.target.run('apt-get', ['-o', 'Dpkg::Options::=--force-confold', '-o', 'Dpkg::Options::=--force-confdef', ...args], { env: { DEBIAN_FRONTEND: 'noninteractive' } }),
  );
}

/**
 * The tail of DIB's `*-minimal-baseinstall` root scripts: apt-get update and dist-upgrade
 * (skipped offline: the cached root is used as it is), then the base packages unless they
 * were folded into the bootstrap.
 */
export async function upgradeAndInstallBase(ctx: PhaseContext, basePackages: readonly string[], preinstalled: boolean): Promise<void> {
  if (ctx.cache.offline || ctx.env.DIB_OFFLINE) {
    ctx.log.info('offline: no apt-get update or dist-upgrade (the cached root is used as it is)');
  } else {
    await aptInTarget(ctx, 'update');
    await aptInTarget(ctx, '-y', 'dist-upgrade');
  }
  if (!preinstalled) await aptInTarget(ctx, '-y', 'install', ...basePackages);
}
