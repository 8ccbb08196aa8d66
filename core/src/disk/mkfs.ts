/**
 * Make one filesystem image file from a directory, without mounting anything:
 * ext2/3/4 with `mke2fs -d`, xfs with `mkfs.xfs -p` (xfs.ts), vfat with `mkfs.vfat -C` and
 * mtools, swap with `mkswap`.
 */
import { open, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CommandRunner, Logger } from '../vocabulary.js';
import { DibError } from '../errors.js';
import type { LayoutFilesystem } from './layout.js';
import { KiB } from './size.js';
import { fixXfsModes, logProtofileNotes, mkfsXfsArgs, xfsProblem, xfsProtofile, xfsSupport } from './xfs.js';

export interface MakeFilesystemOptions {
  fs: LayoutFilesystem;
  /** bytes (a multiple of 4 KiB) */
  size: number;
  /** directory whose content goes in (undefined: empty) */
  sourceDir?: string;
  /** the image file to write (must not exist) */
  file: string;
  run: CommandRunner;
  log?: Logger;
}

async function sparseFile(file: string, size: number): Promise<void> {
  const fh = await open(file, 'wx');
  try {
    await fh.truncate(size);
  } finally {
    await fh.close();
  }
}

/** The mke2fs arguments for an ext filesystem (exported for tests). */
export function mke2fsArgs(fs: LayoutFilesystem, file: string, size: number, sourceDir?: string): string[] {
  return ['-t', fs.type, '-F', '-q', '-L', fs.label, '-U', fs.uuid, ...fs.opts, ...(sourceDir ? ['-d', sourceDir] : []), file, `${Math.floor(size / KiB)}k`];
}

/** The mkfs.vfat arguments (exported for tests). */
export function mkfsVfatArgs(fs: LayoutFilesystem, file: string, size: number): string[] {
  return ['-C', '-n', fs.label, '-i', fs.uuid.replace('-', ''), ...fs.opts, file, String(Math.floor(size / KiB))];
}

export async function makeFilesystem(o: MakeFilesystemOptions): Promise<void> {
  const { fs, size, file, run, sourceDir } = o;
  switch (fs.type) {
    case 'ext2':
    case 'ext3':
    case 'ext4':
      await sparseFile(file, size);
      await run.run('mke2fs', mke2fsArgs(fs, file, size, sourceDir), { env: { MKE2FS_CONFIG: undefined, E2FSPROGS_FAKE_TIME: undefined } });
      return;
    case 'vfat': {
      await run.run('mkfs.vfat', mkfsVfatArgs(fs, file, size));
      if (!sourceDir) return;
      const entries = (await readdir(sourceDir)).sort();
      if (entries.length === 0) return;
      await run.run('mcopy', ['-i', file, '-s', '-p', '-m', '-Q', '-D', 'o', ...entries.map((e) => join(sourceDir, e)), '::/'], {
        env: { MTOOLS_SKIP_CHECK: '1', MTOOLSRC: '/dev/null' },
      });
      return;
    }
    case 'xfs': {
      const support = await xfsSupport();
      const problem = xfsProblem(support);
      if (problem) throw new DibError(problem.code, problem.message, { hint: problem.hint });
      await sparseFile(file, size);
      if (!sourceDir || support.directory) {
        await run.run('mkfs.xfs', mkfsXfsArgs(fs, file, sourceDir));
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
