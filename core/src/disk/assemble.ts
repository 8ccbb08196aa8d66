/**
 * Assemble the disk image from the tree, without loop device, mount or device-mapper: the image
 * file is made at its full size (sparse), the partition table written on it with sfdisk, then
 * every filesystem made from its subtree directly at its partition's offset (ext and vfat; the
 * others in a file of their own, copied in), all of them at once; for BIOS boot GRUB's
 * boot.img/core.img put in place. A filesystem's subtree is its mount point's with the mount
 * points below it moved aside first (each of those is made from where it was moved to), so the
 * sources never overlap; the tree is put back, times included, however the assembly ends.
 * The image is written under a temporary name and renamed when complete.
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdir, mkdtemp, open, readFile, rename, rm, rmdir, stat, utimes, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CommandRunner, Logger } from '../vocabulary.js';
import { DibError, isDibError } from '../errors.js';
import { biosBootPlacement, checkBiosImages, patchCoreImage, patchMbr, SECTOR, type BiosBootFiles } from './bios-boot.js';
import type { DiskGeometry } from './geometry.js';
import type { DiskLayout, LayoutFilesystem } from './layout.js';
import { makeFilesystem, makesInPlace } from './mkfs.js';
import { writePartitionTable } from './partition-table.js';
import { MiB } from './size.js';
import { formatBytes } from '../util/bytes.js';

export interface AssembleOptions {
  layout: DiskLayout;
  geometry: DiskGeometry;
  /** the image tree (TARGET_ROOT), nothing mounted in it */
  treeDir: string;
  /** scratch space (e.g. build.paths.imageDir): mount points moved aside, filesystems made apart */
  workDir: string;
  /** the raw image to write */
  outFile: string;
  run: CommandRunner;
  log: Logger;
  /** GRUB i386-pc files for BIOS boot (from the bootloader element's biosBootCode hook) */
  biosBoot?: BiosBootFiles;
  /** reproducible output: every time in the filesystems clamped to this (SOURCE_DATE_EPOCH) */
  sourceDateEpoch?: number;
}

/** Mount points strictly below `point` that are not below another one of them. */
export function nestedMountPoints(point: string, all: readonly string[]): string[] {
  const under = (p: string, parent: string) => p !== parent && (parent === '/' ? p.startsWith('/') : p.startsWith(`${parent}/`));
  const below = all.filter((p) => under(p, point));
  return below.filter((p) => !below.some((q) => under(p, q)));
}

interface Aside {
  /** the mount point's path in the tree */
  path: string;
  /** where its content is while the filesystems are made */
  moved: string;
  /** the times of the mount point and of its parent directory, put back afterwards */
  times: { atime: Date; mtime: Date };
  parentTimes: { atime: Date; mtime: Date };
  /** copied, not renamed: the tree is a mount of its own (the layered tree of phase checkpoints) */
  copied?: boolean;
}

/**
 * Move every mount point but `/` aside, deepest first (so `/boot` leaves with an empty
 * `efi` in it), leaving an empty directory with the same owner, mode and times in its place.
 */
async function moveAside(treeDir: string, points: readonly string[], scratch: string, run: CommandRunner, log: Logger): Promise<Aside[]> {
  const done: Aside[] = [];
  const deepestFirst = points.filter((p) => p !== '/').sort((a, b) => b.split('/').length - a.split('/').length || (a < b ? -1 : 1));
  try {
    for (const [i, p] of deepestFirst.entries()) {
      const path = join(treeDir, p);
      const [st, parent] = await Promise.all([stat(path), stat(dirname(path))]);
      let moved = join(scratch, `aside-${i}`);
      let copied = false;
      try {
        await rename(path, moved);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
        moved = join(dirname(treeDir), `.dib-aside-${randomBytes(4).toString('hex')}-${basename(path)}`);
        try {
          await rename(path, moved);
        } catch (e2) {
          if ((e2 as NodeJS.ErrnoException).code !== 'EXDEV') throw e2;
          // the tree is a mount of its own: nothing outside it is on its filesystem, so the
          // subtree is copied aside (owners, modes, times, xattrs) and emptied
          moved = join(scratch, `aside-${i}`);
          await run.run('cp', ['-a', '--no-target-directory', path, moved], { quiet: true });
          await rm(path, { recursive: true });
          copied = true;
        }
      }
      done.push({ path, moved, times: { atime: st.atime, mtime: st.mtime }, parentTimes: { atime: parent.atime, mtime: parent.mtime }, ...(copied ? { copied } : {}) });
      await mkdir(path, { mode: st.mode & 0o7777 });
      await chown(path, st.uid, st.gid);
      await utimes(path, st.atime, st.mtime);
      await utimes(dirname(path), parent.atime, parent.mtime);
      log.debug(`moved ${p} aside while its parent filesystem is made`);
    }
  } catch (e) {
    await restore(done, run);
    throw e;
  }
  return done;
}

async function restore(asides: readonly Aside[], run: CommandRunner): Promise<void> {
  for (const a of [...asides].reverse()) {
    await rmdir(a.path).catch(() => undefined);
    if (!a.copied) await rename(a.moved, a.path);
    else {
      await run.run('cp', ['-a', '--no-target-directory', a.moved, a.path], { quiet: true });
      await rm(a.moved, { recursive: true, force: true });
    }
    await utimes(a.path, a.times.atime, a.times.mtime).catch(() => undefined);
    await utimes(dirname(a.path), a.parentTimes.atime, a.parentTimes.mtime).catch(() => undefined);
  }
}

const ZERO = Buffer.alloc(MiB);

/** Copy `src` into the open image at `offset`, skipping all-zero MiB chunks (sparse). */
async function copyInto(img: FileHandle, src: string, offset: number): Promise<void> {
  const fh = await open(src, 'r');
  try {
    const buf = Buffer.alloc(MiB);
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, MiB, pos);
      if (bytesRead === 0) break;
      const chunk = buf.subarray(0, bytesRead);
      if (!chunk.equals(ZERO.subarray(0, bytesRead))) await img.write(chunk, 0, bytesRead, offset + pos);
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
}

/** Where each filesystem's content is read from: its mount point, or where that was moved. */
function sourceOf(fs: LayoutFilesystem, treeDir: string, asides: readonly Aside[]): string | undefined {
  if (fs.mountPoint === undefined) return undefined;
  const path = join(treeDir, fs.mountPoint);
  return asides.find((a) => a.path === path)?.moved ?? path;
}

/** Make one filesystem, in place at `offset` of `file` when its type allows, else in `file` alone. */
async function makeOne(o: AssembleOptions, fs: LayoutFilesystem, size: number, target: { file: string; offset?: number }, sourceDir: string | undefined): Promise<void> {
  o.log.info(`making ${fs.type} filesystem ${fs.label}${fs.mountPoint ? ` for ${fs.mountPoint}` : ''} (${formatBytes(size)})`);
  const t0 = performance.now();
  try {
    await makeFilesystem({
      fs,
      size,
      file: target.file,
      run: o.run,
      log: o.log,
      ...(target.offset ? { offset: target.offset } : {}),
      ...(sourceDir ? { sourceDir } : {}),
      ...(o.sourceDateEpoch !== undefined ? { sourceDateEpoch: o.sourceDateEpoch } : {}),
    });
  } catch (e) {
    if (isDibError(e) && e.code === 'E_COMMAND_FAILED') {
      throw new DibError('E_DISK', `making the ${fs.type} filesystem '${fs.label}'${fs.mountPoint ? ` for ${fs.mountPoint}` : ''} (${formatBytes(size)}) failed: ${e.message}`, {
        hint: 'if it ran out of space, raise imageSize / --image-size or the partition size; see the output above',
        details: e.details,
        cause: e,
      });
    }
    throw e;
  }
  o.log.debug(`made ${fs.label} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** Run every job at once; the first failure is thrown once all have settled. */
async function allSettled(jobs: Array<Promise<void>>): Promise<void> {
  const results = await Promise.allSettled(jobs);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * Build the image at `outFile` from `treeDir`. Returns `outFile`. Temporary files (under a
 * directory in `workDir`, and `outFile`'s temporary name) are removed on success and failure.
 */
export async function assembleImage(o: AssembleOptions): Promise<string> {
  const { layout, geometry, outFile, run, log } = o;
  await mkdir(o.workDir, { recursive: true });
  await mkdir(dirname(outFile), { recursive: true });
  const scratch = await mkdtemp(join(o.workDir, 'dib-disk-'));
  const tmpOut = join(dirname(outFile), `.${basename(outFile)}.part-${randomBytes(4).toString('hex')}`);
  let ok = false;
  let asides: Aside[] = [];
  try {
    for (const p of layout.mountPoints) await mkdir(join(o.treeDir, p), { recursive: true });
    asides = await moveAside(o.treeDir, layout.mountPoints, scratch, run, log);
    if (layout.table === 'none') {
      if (o.biosBoot) biosBootPlacement(layout, geometry, 0); // throws: no table
      const fs = layout.filesystems[0]!;
      await makeOne(o, fs, geometry.filesystems[0]!.size, { file: tmpOut }, sourceOf(fs, o.treeDir, asides));
    } else {
      log.info(`writing ${layout.table} partition table (${formatBytes(geometry.imageSize)} image)`);
      const created = await open(tmpOut, 'wx');
      try {
        await created.truncate(geometry.imageSize);
      } finally {
        await created.close();
      }
      await writePartitionTable(run, layout, geometry, tmpOut);
      // every filesystem at once: in place at its offset (ext, vfat), or apart and copied in
      await allSettled(
        layout.filesystems.map(async (fs, i) => {
          const g = geometry.filesystems.find((x) => x.name === fs.name)!;
          const source = sourceOf(fs, o.treeDir, asides);
          if (makesInPlace(fs.type)) return makeOne(o, fs, g.size, { file: tmpOut, offset: g.offset }, source);
          const file = join(scratch, `fs-${i}.img`);
          await makeOne(o, fs, g.size, { file }, source);
          const img = await open(tmpOut, 'r+');
          try {
            log.debug(`copying ${fs.label} to offset ${g.offset}`);
            await copyInto(img, file, g.offset);
          } finally {
            await img.close();
          }
          await rm(file, { force: true });
        }),
      );
      const img = await open(tmpOut, 'r+');
      try {
        if (o.biosBoot) await writeBiosBoot(img, layout, geometry, o.biosBoot, log);
        await img.sync();
      } finally {
        await img.close();
      }
    }
    await rename(tmpOut, outFile);
    ok = true;
    return outFile;
  } finally {
    await restore(asides, run);
    await rm(scratch, { recursive: true, force: true });
    if (!ok) await rm(tmpOut, { force: true });
  }
}

async function writeBiosBoot(img: FileHandle, layout: DiskLayout, geometry: DiskGeometry, files: BiosBootFiles, log: Logger): Promise<void> {
  const [bootImg, coreImg] = await Promise.all([readFile(files.bootImg), readFile(files.coreImg)]);
  checkBiosImages(bootImg, coreImg);
  const { offset } = biosBootPlacement(layout, geometry, coreImg.length);
  const lba = offset / SECTOR;
  const mbr = Buffer.alloc(SECTOR);
  await img.read(mbr, 0, SECTOR, 0);
  await img.write(patchMbr(mbr, bootImg, lba), 0, SECTOR, 0);
  await img.write(patchCoreImage(coreImg, lba), 0, coreImg.length, offset);
  log.info(`BIOS boot: GRUB core image (${formatBytes(coreImg.length)}) at sector ${lba}`);
}
