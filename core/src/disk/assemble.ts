/**
 * Assemble the disk image from the tree: one filesystem image per filesystem, made from its
 * subtree (nested mount points moved aside for the duration), a partition table written with
 * sfdisk on the image file, each filesystem copied in at its offset (sparse), and for BIOS
 * boot GRUB's boot.img/core.img put in place. No loop device, mount or device-mapper.
 * The image is written under a temporary name and renamed when complete.
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdir, mkdtemp, open, readFile, rename, rm, rmdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CommandRunner, Logger } from '../vocabulary.js';
import { DibError, isDibError } from '../errors.js';
import { biosBootPlacement, checkBiosImages, patchCoreImage, patchMbr, SECTOR, type BiosBootFiles } from './bios-boot.js';
import type { DiskGeometry } from './geometry.js';
import type { DiskLayout, LayoutFilesystem } from './layout.js';
import { makeFilesystem } from './mkfs.js';
import { writePartitionTable } from './partition-table.js';
import { MiB } from './size.js';
import { formatBytes } from '../util/bytes.js';
import { execa } from 'execa';

export interface AssembleOptions {
  layout: DiskLayout;
  geometry: DiskGeometry;
  /** the image tree (TARGET_ROOT), nothing mounted in it */
  treeDir: string;
  /** scratch space for filesystem images (e.g. build.paths.imageDir) */
  workDir: string;
  /** the raw image to write */
  outFile: string;
  run: CommandRunner;
  log: Logger;
  /** GRUB i386-pc files for BIOS boot (from the bootloader element, BIOS_BOOT_KEY) */
  biosBoot?: BiosBootFiles;
}

/** Mount points strictly below `point` that are not below another one of them. */
export function nestedMountPoints(point: string, all: readonly string[]): string[] {
  const under = (p: string, parent: string) => p !== parent && (parent === '/' ? p.startsWith('/') : p.startsWith(`${parent}/`));
  const below = all.filter((p) => under(p, point));
  return below.filter((p) => !below.some((q) => under(p, q)));
}

interface Aside {
  path: string;
  moved: string;
  /** copied, not renamed: the tree is a mount of its own */
  copied?: boolean;
}

async function moveAside(treeDir: string, points: string[], scratch: string, log: Logger): Promise<Aside[]> {
  const done: Aside[] = [];
  try {
    for (const [i, p] of points.entries()) {
      const path = join(treeDir, p);
      const st = await stat(path);
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
          // the tree is a mount of its own (the layered tree of phase checkpoints): nothing
          // outside it is on its filesystem, so the subtree is copied aside and emptied
          moved = join(scratch, `aside-${i}`);
          await execa('cp', ['-a', '--no-target-directory', path, moved]);
          await rm(path, { recursive: true });
          copied = true;
        }
      }
      done.push({ path, moved, copied });
      await mkdir(path, { mode: st.mode & 0o7777 });
      await chown(path, st.uid, st.gid);
      log.debug(`moved ${p} aside while making its parent filesystem`);
    }
  } catch (e) {
    await restore(done);
    throw e;
  }
  return done;
}

async function restore(asides: Aside[]): Promise<void> {
  for (const a of [...asides].reverse()) {
    await rmdir(a.path).catch(() => undefined);
    if (!a.copied) await rename(a.moved, a.path);
    else {
      await execa('cp', ['-a', '--no-target-directory', a.moved, a.path]);
      await rm(a.moved, { recursive: true, force: true });
    }
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

async function makeOne(o: AssembleOptions, fs: LayoutFilesystem, size: number, file: string, scratch: string): Promise<void> {
  const { treeDir, layout, log, run } = o;
  let sourceDir: string | undefined;
  let asides: Aside[] = [];
  if (fs.mountPoint !== undefined) {
    sourceDir = join(treeDir, fs.mountPoint);
    await mkdir(sourceDir, { recursive: true });
    asides = await moveAside(treeDir, nestedMountPoints(fs.mountPoint, layout.mountPoints), scratch, log);
  }
  log.info(`making ${fs.type} filesystem ${fs.label}${fs.mountPoint ? ` for ${fs.mountPoint}` : ''} (${formatBytes(size)})`);
  try {
    await makeFilesystem({ fs, size, file, run, log, ...(sourceDir ? { sourceDir } : {}) });
  } catch (e) {
    if (isDibError(e) && e.code === 'E_COMMAND_FAILED') {
      throw new DibError('E_DISK', `making the ${fs.type} filesystem '${fs.label}'${fs.mountPoint ? ` for ${fs.mountPoint}` : ''} (${formatBytes(size)}) failed: ${e.message}`, {
        hint: 'if it ran out of space, raise imageSize / --image-size or the partition size; see the output above',
        details: e.details,
        cause: e,
      });
    }
    throw e;
  } finally {
    await restore(asides);
  }
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
  try {
    for (const p of layout.mountPoints) await mkdir(join(o.treeDir, p), { recursive: true });
    if (layout.table === 'none') {
      if (o.biosBoot) biosBootPlacement(layout, geometry, 0); // throws: no table
      const fs = layout.filesystems[0]!;
      await makeOne(o, fs, geometry.filesystems[0]!.size, tmpOut, scratch);
    } else {
      const files = new Map<string, string>();
      for (const [i, fs] of layout.filesystems.entries()) {
        const g = geometry.filesystems.find((x) => x.name === fs.name)!;
        const file = join(scratch, `fs-${i}.img`);
        await makeOne(o, fs, g.size, file, scratch);
        files.set(fs.name, file);
      }
      log.info(`writing ${layout.table} partition table (${formatBytes(geometry.imageSize)} image)`);
      const created = await open(tmpOut, 'wx');
      try {
        await created.truncate(geometry.imageSize);
      } finally {
        await created.close();
      }
      await writePartitionTable(run, layout, geometry, tmpOut);
      const img = await open(tmpOut, 'r+');
      try {
        for (const fs of layout.filesystems) {
          const g = geometry.filesystems.find((x) => x.name === fs.name)!;
          log.debug(`copying ${fs.label} to offset ${g.offset}`);
          await copyInto(img, files.get(fs.name)!, g.offset);
          await rm(files.get(fs.name)!, { force: true });
        }
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
