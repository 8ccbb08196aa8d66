/** The bootstrap command line for mmdebstrap or debootstrap (pure). */
import { shellQuote } from '@dib/core';
import type { BootstrapSettings } from './settings.js';

export interface CommandPlan {
  file: string;
  args: string[];
}

export interface CommandOptions {
  /**
   * A host directory of downloaded .deb files shared between builds (the apt archive cache):
   * mmdebstrap hard-links (or copies) them in before downloading and copies new ones back;
   * debootstrap gets it as --cache-dir.
   */
  aptArchiveDir?: string;
  /**
   * a file listing the names of the archive's .deb files that were verified against a signed
   * index: mmdebstrap takes only those in (apt would take a same-size corrupt one unchecked)
   */
  verifiedList?: string;
}

/** mmdebstrap hooks that reuse and fill the shared apt archive. */
export function mmdebstrapArchiveHooks(dir: string, verifiedList?: string): string[] {
  const d = shellQuote(dir);
  const inside = '"$1"/var/cache/apt/archives';
  // Reuse: hard links when the cache and the target share a filesystem, else copies; only the
  // files verified against a signed index (apt takes a file of the right size unchecked), all
  // of them when no list is given.
  const syncIn = verifiedList
    ? `mkdir -p ${inside}/partial && while read -r b; do f=${d}/"$b"; [ -f "$f" ] || continue; ` + `ln -f "$f" ${inside}/ 2>/dev/null || cp -p "$f" ${inside}/; done < ${shellQuote(verifiedList)}`
    : `mkdir -p ${inside}/partial && for f in ${d}/*.deb; do [ -f "$f" ] || continue; ` + `ln -f "$f" ${inside}/ 2>/dev/null || cp -p "$f" ${inside}/; done`;
  // Keep what was downloaded: each new .deb is written under a temporary name, then renamed,
  // so a concurrent reader never sees half a file. A copy that fails (the cache full or
  // read-only) removes its temporary file and stops: the bootstrap goes on, uncached.
  const syncOut =
    `mkdir -p ${d} 2>/dev/null; for f in ${inside}/*.deb; do [ -f "$f" ] || continue; b=$(basename "$f"); ` +
    `[ -e ${d}/"$b" ] && continue; ` +
    `if { ln -f "$f" ${d}/."$b".dib-tmp-$$ 2>/dev/null || cp -p "$f" ${d}/."$b".dib-tmp-$$; } && mv -f ${d}/."$b".dib-tmp-$$ ${d}/"$b"; then :; else rm -f ${d}/."$b".dib-tmp-$$; ` +
    `echo "dib: could not keep $b in the apt cache ${d.replace(/"/g, '')} (full or read-only?): the rest is not cached" >&2; break; fi; done; true`;
  return ['--skip=essential/unlink', `--setup-hook=${syncIn}`, `--customize-hook=${syncOut}`];
}

/**
 * The apt pattern that installs the preseeded packages the archive has and skips the others
 * (an unknown name, or one only an element's own repository provides, would make a plain
 * `--include` fail): `?exact-name` selects each by name, `?version(.)` leaves out names with
 * no version (unknown, or virtual: their installs still go through apt-get later).
 */
export function preseedPattern(packages: readonly string[]): string | undefined {
  if (packages.length === 0) return undefined;
  return `?and(?or(${packages.map((p) => `?exact-name(${p})`).join(',')}),?version(.))`;
}

/** The command that bootstraps `target` as `s` says. Signatures are always checked. */
export function bootstrapCommand(s: BootstrapSettings, target: string, opts: CommandOptions = {}): CommandPlan {
  if (s.tool === 'mmdebstrap') {
    const args = [
      '--verbose',
      `--variant=${s.variant}`,
      `--architectures=${s.arch}`,
      `--components=${s.components.join(',')}`,
      `--include=${s.include.join(',')}`,
      // a pattern goes in an --include of its own (mmdebstrap splits plain lists on commas)
      ...(s.preseed.length ? [`--include=${preseedPattern(s.preseed)}`] : []),
      `--keyring=${s.keyring}`,
      // keep the package lists: an --offline build can still install from the apt cache,
      // and the next `apt-get update` only has to fetch what changed
      '--skip=cleanup/apt/lists',
      ...(opts.aptArchiveDir ? mmdebstrapArchiveHooks(opts.aptArchiveDir, opts.verifiedList) : []),
      ...s.mmdebstrapArgs,
      s.release,
      target,
      ...s.sources,
    ];
    return { file: 'mmdebstrap', args };
  }
  const keyringInExtra = s.extraArgs.some((a) => a === '--keyring' || a.startsWith('--keyring='));
  const args = [
    '--verbose',
    `--variant=${s.variant}`,
    `--components=${s.components.join(',')}`,
    `--arch=${s.arch}`,
    ...(keyringInExtra ? [] : [`--keyring=${s.keyring}`]),
    // never fall back to unauthenticated downloads
    '--force-check-gpg',
    `--include=${s.include.join(',')}`,
    ...(opts.aptArchiveDir ? [`--cache-dir=${opts.aptArchiveDir}`] : []),
    ...s.extraArgs,
    s.release,
    target,
    s.mirror,
    ...(s.script ? [s.script] : []),
  ];
  return { file: 'debootstrap', args };
}
