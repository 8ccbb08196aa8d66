/**
 * What a build checks before the root phase, so that nothing that could be known at the start
 * fails after minutes of work: the output, work and cache dirs, the image size against what the
 * filesystems can hold, the partitions against the disk, the architecture against every element
 * that declares which it can build, and the release against the mirror. Each problem is its own
 * error code with exit status 2 (docs/errors.md).
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import type { DibBuild } from '../pipeline/build.js';
import { DibError, isDibError } from '../errors.js';
import { computeGeometry } from '../disk/geometry.js';
import { assertDiskBuildable } from '../disk/buildable.js';
import type { DiskLayout } from '../disk/layout.js';
import { TiB } from '../disk/size.js';
import { formatBytes } from '../util/bytes.js';
import { normaliseArch } from '../util/arch.js';
import { mirrorCheck } from './checks.js';
import { releaseTargetOf } from '../contract/os.js';
import { selectedFormats } from '../pipeline/output-formats.js';

function errnoOf(e: unknown): string {
  return (e as NodeJS.ErrnoException)?.code ?? (e as Error)?.message ?? String(e);
}

function describeErrno(code: string): string {
  switch (code) {
    case 'EROFS':
      return 'is on a read-only filesystem';
    case 'EACCES':
    case 'EPERM':
      return 'is not writable';
    case 'ENOTDIR':
    case 'EEXIST':
      return 'is not a directory (a file is in the way)';
    case 'ENOSPC':
      return 'is on a full filesystem';
    default:
      return `cannot be used (${code})`;
  }
}

/**
 * Can `dir` be made (mkdir -p) and written? A probe file is written and removed, and what the
 * check made is removed again (the build makes it when it needs it). Returns the problem in
 * words, or undefined when the directory is usable.
 */
export async function directoryProblem(dir: string): Promise<string | undefined> {
  const st = await fs.stat(dir).catch(() => undefined);
  if (st && !st.isDirectory()) return describeErrno('ENOTDIR');
  let made: string | undefined;
  try {
    made = await fs.mkdir(dir, { recursive: true });
  } catch (e) {
    return describeErrno(errnoOf(e));
  }
  const probe = path.join(dir, `.dib-probe.dib-tmp-${randomBytes(4).toString('hex')}`);
  try {
    await fs.writeFile(probe, '', { flag: 'wx' });
  } catch (e) {
    return describeErrno(errnoOf(e));
  } finally {
    await fs.rm(probe, { force: true }).catch(() => undefined);
    if (made) await removeMade(made, dir);
  }
  return undefined;
}

/** rmdir `dir` and its parents up to `top` (what one mkdir -p made), if still empty. */
async function removeMade(top: string, dir: string): Promise<void> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    if (!(await fs.rmdir(d).then(() => true, () => false))) return;
    if (d === path.resolve(top) || path.dirname(d) === d) return;
  }
}

/** The output dir (of `-o NAME`) and `<name>.d` can be written. */
export async function checkOutputDir(build: Pick<DibBuild, 'config' | 'env'>): Promise<void> {
  const base = build.config.name;
  const dir = path.dirname(base);
  const problem = await directoryProblem(dir);
  if (problem) {
    throw new DibError('E_OUTPUT_DIR', `the output directory ${dir} ${problem}: the image ${path.basename(base)} cannot be written there`, {
      hint: `choose another output name with -o (name in the config), or make ${dir} writable`,
    });
  }
  const save = build.env.DIB_MANIFEST_SAVE_DIR;
  const manifests = !save || save === `${build.env.IMAGE_NAME}.d/` ? `${base}.d` : path.resolve(path.dirname(base), save);
  const st = await fs.stat(manifests).catch(() => undefined);
  if (st && !st.isDirectory()) {
    throw new DibError('E_OUTPUT_DIR', `${manifests} is a file: the build's manifests and report go in a directory of that name`, {
      hint: `remove or rename ${manifests}, or set DIB_MANIFEST_SAVE_DIR`,
    });
  }
}

/** The work dir can hold the build's directories. */
export async function checkWorkDir(dir: string): Promise<void> {
  const problem = await directoryProblem(dir);
  if (problem) {
    throw new DibError('E_WORK_DIR', `the work dir ${dir} ${problem}`, {
      hint: 'point --work-dir (workDir in the config, TMP_DIR) at a writable directory with a few GiB free',
    });
  }
}

/** Largest filesystem mkfs makes of each type (4 KiB blocks; ext4 with 64bit, mke2fs's default). */
export const FILESYSTEM_MAX_BYTES: Readonly<Record<string, number>> = {
  ext2: 16 * TiB,
  ext3: 16 * TiB,
  ext4: 1024 * 1024 * TiB,
  vfat: 2 * TiB,
  xfs: 8 * 1024 * 1024 * TiB,
  btrfs: 16 * 1024 * 1024 * TiB,
};

/** Can the filesystem holding `dir` hold one (sparse) file of `bytes`? Probed with ftruncate. */
async function fileSizeProblem(dir: string, bytes: number): Promise<string | undefined> {
  const made = await fs.mkdir(dir, { recursive: true }).catch(() => undefined);
  const probe = path.join(dir, `.dib-size-probe.dib-tmp-${randomBytes(4).toString('hex')}`);
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(probe, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
    await handle.truncate(bytes);
    return undefined;
  } catch (e) {
    const code = errnoOf(e);
    return code === 'EFBIG' || code === 'EINVAL' ? code : undefined;
  } finally {
    await handle?.close().catch(() => undefined);
    await fs.rm(probe, { force: true }).catch(() => undefined);
    if (made) await removeMade(made, dir);
  }
}

/**
 * The image size: addressable, within what the work dir's (and for raw output the output
 * dir's) filesystem can hold as one file, and within what each filesystem type can be; and the
 * partitions of the layout fit the disk. Only for outputs made from the disk (raw, qcow2, vhd, …).
 */
export async function checkDisk(build: DibBuild, layout: DiskLayout | undefined): Promise<void> {
  const c = build.config;
  const formats = selectedFormats(build);
  if (!layout || !formats.some((f) => f.from === 'disk')) return;
  // a disk dib cannot make from files at all (LVM, xfs without mkfs.xfs -p, …) comes first
  await assertDiskBuildable(layout);
  const size = layout.imageSize ?? c.imageSize;
  const given = layout.imageSize !== undefined ? `the image size ${formatBytes(size ?? 0)} (the block-device config's)` : `the image size ${formatBytes(size ?? 0)} (--image-size)`;
  if (size !== undefined) {
    if (!Number.isSafeInteger(size)) {
      throw new DibError('E_IMAGE_SIZE', `${given} is more than any disk image dib can write (8 PiB)`, {
        hint: 'give a size such as --image-size 8GiB, or leave it unset to size the image from the tree',
      });
    }
    // a format that takes the disk (raw) puts the whole image file in the output dir
    const dirs = [c.workDir, ...(formats.some((f) => f.takesDisk) ? [path.dirname(c.name)] : [])];
    for (const d of dirs) {
      const problem = await fileSizeProblem(d, size);
      if (problem) {
        throw new DibError('E_IMAGE_SIZE', `${given} is more than the filesystem of ${d} (the ${d === c.workDir ? 'work dir' : 'output dir'}) can hold in one file`, {
          hint: `use a smaller --image-size, or a ${d === c.workDir ? 'work dir (--work-dir)' : 'output dir'} on a filesystem that allows larger files (ext4 allows 16 TiB, xfs 8 EiB)`,
        });
      }
    }
  }
  let geometry;
  try {
    geometry = computeGeometry(layout, new Map(), size);
  } catch (e) {
    if (isDibError(e) && e.code === 'E_DISK') throw new DibError('E_PARTITIONS_TOO_BIG', e.message, { hint: e.hint, cause: e });
    throw e;
  }
  for (const f of geometry.filesystems) {
    const fsType = layout.filesystems.find((x) => x.name === f.name)?.type ?? '';
    const max = FILESYSTEM_MAX_BYTES[fsType];
    if (max !== undefined && f.size > max) {
      throw new DibError('E_IMAGE_SIZE', `${given} makes ${f.mountPoint ?? f.name} ${formatBytes(f.size)}, but a ${fsType} filesystem can be ${formatBytes(max)} at most`, {
        hint: `use a smaller --image-size, or a filesystem type that allows it (FS_TYPE / fsType: xfs allows 8 EiB)`,
      });
    }
  }
}

/** Every element that says which architectures it can build for supports the build's. */
export function checkArchitecture(build: Pick<DibBuild, 'config' | 'env' | 'elements'>): void {
  const want = normaliseArch(build.config.arch);
  for (const r of build.elements) {
    const a = r.element.arches;
    const arches = typeof a === 'function' ? a(build.env) : a;
    if (!arches || arches.length === 0) continue;
    if (arches.map(normaliseArch).includes(want)) continue;
    throw new DibError('E_ARCH_UNSUPPORTED', `element ${r.name} cannot build for ${want}: it builds for ${arches.map(normaliseArch).join(', ')} only`, {
      hint: `build with -a ${normaliseArch(arches[0]!)} (arch in the config), or use an element that supports ${want}`,
    });
  }
}

/**
 * The release exists where the OS element publishes it (a Debian mirror: a HEAD of
 * `dists/<release>/Release`). A 404 is an error;
 * an unreachable mirror only a warning (apt may reach it through a proxy dib does not see);
 * offline builds skip it. Returns lines for the log.
 */
export async function checkRelease(build: Pick<DibBuild, 'config' | 'env' | 'elements'>, opts: { fetchImpl?: typeof fetch; timeoutMs?: number } = {}): Promise<{ warnings: string[]; notes: string[] }> {
  const target = releaseTargetOf(build.elements, build.env);
  if (!target) return { warnings: [], notes: [] };
  if (build.config.offline || build.env.DIB_OFFLINE) return { warnings: [], notes: [`offline: not checking that ${target.release} exists on ${target.url}`] };
  const r = await mirrorCheck(target, { timeoutMs: opts.timeoutMs ?? 10_000, fetchImpl: opts.fetchImpl });
  if (r.level === 'ok' || r.level === 'skip') return { warnings: [], notes: [r.message] };
  if (/: HTTP 404$/.test(r.message)) {
    throw new DibError('E_RELEASE_NOT_FOUND', `${target.distro} release '${target.release}' does not exist on ${target.url} (HTTP 404)`, { hint: target.hint });
  }
  return { warnings: [`${r.message}${r.hint ? ` (${r.hint})` : ''}`], notes: [] };
}
