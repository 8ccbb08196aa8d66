/**
 * Tree outputs: tar, tgz and squashfs written from the finished image tree.
 */
import type { SquashfsCompression } from './types.js';

/**
 * `tar` arguments for a tree archive. Owners are numeric (the image's uids, not the host's
 * names), xattrs (file capabilities, SELinux labels) are kept, sparse files stay sparse, and
 * the contents of `excludeContents` directories (proc, sys, …) are left out while the
 * directories themselves are kept. `compressor` makes a compressed archive (tgz).
 */
export function tarArgs(opts: { tree: string; file: string; excludeContents: readonly string[]; compressor?: string }): string[] {
  return [
    '--create',
    '--file',
    opts.file,
    '--numeric-owner',
    '--xattrs',
    '--xattrs-include=*',
    '--sparse',
    ...(opts.compressor ? ['--use-compress-program', opts.compressor] : []),
    '--anchored',
    '--wildcards',
    ...opts.excludeContents.map((d) => `--exclude=./${escapeGlob(d)}/*`),
    '--directory',
    opts.tree,
    '.',
  ];
}

/**
 * `mksquashfs` arguments. `-noappend` always (a leftover file is never extended), the root
 * of the tree is the root of the filesystem, and `-e` (which must come last) drops the
 * contents of proc, sys and the like.
 */
export function mksquashfsArgs(opts: {
  tree: string;
  file: string;
  excludeContents: readonly string[];
  compression: SquashfsCompression;
}): string[] {
  return [
    opts.tree,
    opts.file,
    '-noappend',
    '-comp',
    opts.compression,
    '-no-progress',
    '-wildcards',
    '-e',
    ...opts.excludeContents.map((d) => `${escapeGlob(d)}/*`),
  ];
}

function escapeGlob(s: string): string {
  return s.replace(/[\\*?[\]]/g, '\\$&');
}

/** gzip program line for tgz: best compression, no name/timestamp in the header. */
export function gzipCompressor(program: string): string {
  return `${program} -9 -n`;
}
