/**
 * Tree outputs: tar, tgz and squashfs written from the finished image tree, deterministic:
 * entries sorted by name, owners and modes as in the tree (numeric), no atime/ctime in pax
 * headers, a gzip header without name or time; with SOURCE_DATE_EPOCH every time clamped to it.
 */
import type { SquashfsCompression } from './types.js';

export interface TarOptions {
  tree: string;
  file: string;
  excludeContents: readonly string[];
  /** `--use-compress-program` (tgz) */
  compressor?: string;
  /** clamp every mtime to this (SOURCE_DATE_EPOCH) */
  sourceDateEpoch?: number;
}

/**
 * `tar` arguments for a tree archive. Owners are numeric (the image's uids, not the host's
 * names), xattrs (file capabilities, SELinux labels) are kept, and the contents of
 * `excludeContents` directories (proc, sys, …) are left out while the directories themselves
 * are kept. Entries are sorted by name; the pax headers that xattrs need carry neither atime
 * nor ctime (build-time noise) and have names without a process id. Sparse files stay sparse,
 * but not in reproducible archives: GNU tar names a sparse member's header after its own
 * process id (`GNUSparseFile.<pid>/`), so there they are stored whole (the same bytes once
 * extracted, and every tar reads them).
 */
export function tarArgs(opts: TarOptions): string[] {
  const reproducible = opts.sourceDateEpoch !== undefined;
  return [
    '--create',
    '--file',
    opts.file,
    '--numeric-owner',
    '--xattrs',
    '--xattrs-include=*',
    ...(reproducible ? [] : ['--sparse']),
    '--sort=name',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    ...(opts.sourceDateEpoch !== undefined ? [`--mtime=@${opts.sourceDateEpoch}`, '--clamp-mtime'] : []),
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
 * contents of proc, sys and the like. mksquashfs sorts every directory itself; with
 * SOURCE_DATE_EPOCH the superblock's creation time is it (`-mkfs-time`), and the files keep
 * the tree's clamped times (as tar does) rather than all getting one time (`-all-time`).
 */
export function mksquashfsArgs(opts: {
  tree: string;
  file: string;
  excludeContents: readonly string[];
  compression: SquashfsCompression;
  sourceDateEpoch?: number;
}): string[] {
  return [
    opts.tree,
    opts.file,
    '-noappend',
    '-comp',
    opts.compression,
    '-no-progress',
    ...(opts.sourceDateEpoch !== undefined ? ['-mkfs-time', String(opts.sourceDateEpoch)] : []),
    '-wildcards',
    '-e',
    ...opts.excludeContents.map((d) => `${escapeGlob(d)}/*`),
  ];
}

export function escapeGlob(s: string): string {
  return s.replace(/[\\*?[\]]/g, '\\$&');
}

/** gzip program line for tgz: best compression, no name/timestamp in the header. */
export function gzipCompressor(program: string): string {
  return `${program} -9 -n`;
}
