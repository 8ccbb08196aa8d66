/**
 * Make one filesystem from a directory, without mounting anything: ext2/3/4 with `mke2fs -d`,
 * xfs with `mkfs.xfs -p` (xfs.ts), vfat with `mkfs.vfat` and mtools, swap with `mkswap`. ext
 * and vfat are made in place, at their partition's offset in the disk image (`mke2fs -E
 * offset=`, `mkfs.vfat --offset`, mtools' `image@@offset`), so nothing is copied; xfs
 * (mkfs.xfs takes no offset) and swap are made in a file of their own that the caller copies in.
 *
 * Identifiers come from the layout (derived from the build's seed): the UUID or volume id, and
 * ext's directory hash seed. With SOURCE_DATE_EPOCH every time the filesystem holds is clamped:
 * mke2fs's own (`E2FSPROGS_FAKE_TIME`) and the inodes' (ext-times.ts, xfs-times.ts), vfat's
 * label (`--invariant`) and mtools' (which keeps each file's clamped mtime, in UTC).
 */
import { mkdir, mkdtemp, open, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { CommandRunner, Logger } from '../vocabulary.js';
import { DibError } from '../errors.js';
import { clampExtTimes } from './ext-times.js';
import type { LayoutFilesystem } from './layout.js';
import { KiB } from './size.js';
import { setXfsTimes } from './xfs-times.js';
import { fixXfsModes, logProtofileNotes, mkfsXfsArgs, xfsProblem, xfsProtofile, xfsSupport } from './xfs.js';

const SECTOR = 512;

export interface MakeFilesystemOptions {
  fs: LayoutFilesystem;
  /** bytes (a multiple of 4 KiB) */
  size: number;
  /** directory whose content goes in (undefined: empty) */
  sourceDir?: string;
  /**
   * the file to write: with `offset`, the disk image (already at its full size) the
   * filesystem goes into; without, a new file (it must not exist) of `size` bytes
   */
  file: string;
  /** byte offset in `file` (a multiple of 512); only for types that `makesInPlace` */
  offset?: number;
  /** clamp every time the filesystem stores to this (SOURCE_DATE_EPOCH) */
  sourceDateEpoch?: number;
  run: CommandRunner;
  log?: Logger;
}

/** Whether a filesystem of this type is made at an offset inside the disk image. */
export function makesInPlace(type: string): boolean {
  return /^ext[234]$/.test(type) || type === 'vfat';
}

async function sparseFile(file: string, size: number): Promise<void> {
  const fh = await open(file, 'wx');
  try {
    await fh.truncate(size);
  } finally {
    await fh.close();
  }
}

/** Split `-E a,b` / `-Ea,b` out of mke2fs options: mke2fs takes only the last -E it is given. */
function extendedOptions(opts: readonly string[]): { rest: string[]; extended: string[] } {
  const rest: string[] = [];
  const extended: string[] = [];
  for (let i = 0; i < opts.length; i++) {
    const o = opts[i]!;
    if (o === '-E' && i + 1 < opts.length) extended.push(...opts[++i]!.split(',').filter(Boolean));
    else if (o.startsWith('-E') && o.length > 2) extended.push(...o.slice(2).split(',').filter(Boolean));
    else rest.push(o);
  }
  return { rest, extended };
}

/**
 * The mke2fs arguments (exported for tests): label, UUID, the layout's options, one `-E` with
 * every extended option (the user's, the hash seed unless the user set one, the offset), the
 * source directory, the file and the size.
 */
export function mke2fsArgs(fs: LayoutFilesystem, file: string, size: number, opts: { sourceDir?: string; offset?: number } = {}): string[] {
  const { rest, extended } = extendedOptions(fs.opts);
  if (fs.hashSeed && !extended.some((e) => e.startsWith('hash_seed='))) extended.push(`hash_seed=${fs.hashSeed}`);
  if (opts.offset) extended.push(`offset=${opts.offset}`);
  return ['-t', fs.type, '-F', '-q', '-L', fs.label, '-U', fs.uuid, ...rest, ...(extended.length ? ['-E', extended.join(',')] : []), ...(opts.sourceDir ? ['-d', opts.sourceDir] : []), file, `${Math.floor(size / KiB)}k`];
}

/** The mkfs.vfat arguments (exported for tests): in place at `offset`, else a new file (`-C`). */
export function mkfsVfatArgs(fs: LayoutFilesystem, file: string, size: number, opts: { offset?: number; invariant?: boolean } = {}): string[] {
  return [
    ...(opts.offset ? [`--offset=${opts.offset / SECTOR}`] : ['-C']),
    // --invariant fixes the time-based values (the label's entry); -i after it keeps the volume id
    ...(opts.invariant ? ['--invariant'] : []),
    '-n',
    fs.label,
    '-i',
    fs.uuid.replace('-', ''),
    ...fs.opts,
    file,
    String(Math.floor(size / KiB)),
  ];
}

/**
 * What a vfat filesystem gets from `sourceDir`: each directory (relative, '' for the top; a
 * parent before its children) with its entries in sorted order, subdirectories marked. mcopy
 * follows a symlink, as FAT has none.
 */
export async function vfatLevels(sourceDir: string): Promise<Array<{ rel: string; entries: Array<{ name: string; dir: boolean }> }>> {
  const levels: Array<{ rel: string; entries: Array<{ name: string; dir: boolean }> }> = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = (await readdir(join(sourceDir, rel), { withFileTypes: true }))
      .map((e) => ({ name: e.name, dir: e.isDirectory() }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    levels.push({ rel, entries });
    for (const e of entries) if (e.dir) await walk(rel ? `${rel}/${e.name}` : e.name);
  };
  await walk('');
  return levels;
}

export async function makeFilesystem(o: MakeFilesystemOptions): Promise<void> {
  const { fs, size, file, run, sourceDir } = o;
  const offset = o.offset ?? 0;
  if (offset && !makesInPlace(fs.type)) throw new DibError('E_INTERNAL', `a ${fs.type} filesystem cannot be made at an offset`, { hint: 'this is a dib bug: make it in a file of its own' });
  const epoch = o.sourceDateEpoch;
  switch (fs.type) {
    case 'ext2':
    case 'ext3':
    case 'ext4':
      if (!offset) await sparseFile(file, size);
      await run.run('mke2fs', mke2fsArgs(fs, file, size, { ...(sourceDir ? { sourceDir } : {}), offset }), {
        env: { MKE2FS_CONFIG: undefined, E2FSPROGS_FAKE_TIME: epoch !== undefined ? String(epoch) : undefined },
      });
      if (epoch !== undefined) await clampExtTimes(file, offset, epoch);
      return;
    case 'vfat': {
      await run.run('mkfs.vfat', mkfsVfatArgs(fs, file, size, { offset, invariant: epoch !== undefined }));
      if (!sourceDir) return;
      const levels = await vfatLevels(sourceDir);
      const image = offset ? `${file}@@${offset}` : file;
      // FAT stores local times: UTC, as the kernel's vfat driver writes them by default;
      // mtools warns that the partition is smaller than the rest of the image: it is meant to be
      const mtools = { env: { MTOOLS_SKIP_CHECK: '1', MTOOLSRC: '/dev/null', TZ: 'UTC', SOURCE_DATE_EPOCH: epoch !== undefined ? String(epoch) : undefined }, quiet: true };
      // one directory at a time, top first, its entries in sorted order: a FAT directory keeps
      // its entries in the order they were made, so the image does not depend on the order the
      // tree lists them in (a plain directory and a layered tree list them differently).
      // Subdirectories go in as empty stand-ins with their times (mcopy -s -m keeps a
      // directory's mtime), and are filled on their own turn.
      // beside the image being written (the build's work dir, which the sandbox sweeps after a
      // SIGKILL), not in the host's /tmp
      const standIns = await mkdtemp(join(dirname(file), '.dib-vfat-'));
      try {
        for (const [n, level] of levels.entries()) {
          const args: string[] = [];
          for (const e of level.entries) {
            if (!e.dir) args.push(join(sourceDir, level.rel, e.name));
            else {
              const standIn = join(standIns, String(n), e.name);
              await mkdir(standIn, { recursive: true });
              const st = await stat(join(sourceDir, level.rel, e.name));
              await utimes(standIn, st.atime, st.mtime);
              args.push(standIn);
            }
          }
          if (args.length) await run.run('mcopy', ['-i', image, '-s', '-p', '-m', '-Q', '-D', 'o', ...args, `::/${level.rel}`], mtools);
        }
      } finally {
        await rm(standIns, { recursive: true, force: true });
      }
      return;
    }
    case 'xfs': {
      const support = await xfsSupport();
      const problem = xfsProblem(support);
      if (problem) throw new DibError(problem.code, problem.message, { hint: problem.hint });
      await sparseFile(file, size);
      if (!sourceDir || support.directory) {
        await run.run('mkfs.xfs', mkfsXfsArgs(fs, file, sourceDir));
        if (sourceDir && epoch !== undefined) await setXfsTimes(run, file, sourceDir, epoch);
        return;
      }
      const proto = await xfsProtofile(sourceDir);
      const protoFile = `${file}.proto`;
      await writeFile(protoFile, proto.text);
      try {
        await run.run('mkfs.xfs', mkfsXfsArgs(fs, file, protoFile));
      } finally {
        await rm(protoFile, { force: true });
      }
      await fixXfsModes(run, file, proto.modes);
      // a prototype file carries no times: the tree's, clamped with SOURCE_DATE_EPOCH
      await setXfsTimes(run, file, sourceDir, epoch);
      if (o.log) logProtofileNotes(o.log, fs.label, proto);
      return;
    }
    case 'swap':
      await sparseFile(file, size);
      await run.run('mkswap', ['-L', fs.label, '-U', fs.uuid, ...fs.opts, file]);
      return;
    default:
      throw new DibError('E_DISK', `cannot make a ${(fs as LayoutFilesystem).type} filesystem from a directory`, { hint: 'use ext4, xfs, vfat or swap' });
  }
}
